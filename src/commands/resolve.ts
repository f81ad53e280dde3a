/** `autotask-connect resolve <portal-url> [--json]`: the API origin to paste as the Domain. */
import { parseArgs } from "node:util";
import { resolvePortalUrl } from "../autotask/domain.js";
import type { Zone } from "../autotask/zones.js";
import { type CommandIO, EXIT } from "./command.js";

const USAGE = "Usage: autotask-connect resolve <portal-url> [--json]\n";

/** The `--json` shape of the contract. */
export type ResolveOutput = {
  input: string;
  zone: string;
  zoneName: string;
  portalUrl: string;
  apiUrl: string;
};

export function toResolveOutput(input: string, zone: Zone): ResolveOutput {
  return { input, zone: zone.id, zoneName: zone.name, portalUrl: zone.portalUrl, apiUrl: zone.apiUrl };
}

/** The readable form: zone, portal and the Domain to paste. */
export function formatResolved(output: ResolveOutput): string {
  return [
    `Zone:        ${output.zone} (${output.zoneName})`,
    `Portal:      ${output.portalUrl}`,
    `API origin:  ${output.apiUrl}`,
    "",
    `Paste ${output.apiUrl} as the "Domain" of your integration.`,
    "",
  ].join("\n");
}

export async function run(io: CommandIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(io.argv);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [input, ...extra] = parsed.positionals;
  if (input === undefined || extra.length > 0) {
    io.stderr.write(`Give exactly one portal address, such as https://ww5.autotask.net.\n${USAGE}`);
    return EXIT.usage;
  }
  const resolved = resolvePortalUrl(input);
  if (!resolved.ok) {
    io.stderr.write(`Cannot resolve ${JSON.stringify(input.slice(0, 200))}: ${resolved.reason}.\n`);
    return EXIT.usage;
  }
  const output = toResolveOutput(input, resolved.zone);
  io.stdout.write(parsed.values.json ? `${JSON.stringify(output)}\n` : formatResolved(output));
  return EXIT.ok;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}
