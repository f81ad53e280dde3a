/**
 * Block Kit as the plain text a person would read on screen: for the offline demo's printout,
 * the docs, and tests that assert what someone sees rather than the JSON that produces it.
 */

type TextObject = { type?: string; text?: string; alt_text?: string };
type Element = { type?: string; text?: TextObject | string; alt_text?: string; elements?: unknown[] };
type Block = {
  type?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: Element;
  elements?: Element[];
  label?: TextObject;
  hint?: TextObject;
  element?: Element & { placeholder?: TextObject; initial_value?: string };
  optional?: boolean;
};

const ENTITIES: Record<string, string> = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };

const EMOJI: Record<string, string> = {
  white_check_mark: "✅",
  warning: "⚠️",
  x: "❌",
  white_circle: "⚪",
  hourglass_flowing_sand: "⏳",
  inbox_tray: "📥",
  lock: "🔒",
  grey_question: "❔",
  rotating_light: "🚨",
  eyes: "👀",
  no_entry: "⛔",
};

/** Outside code spans: bold, italic and strike markers dropped, known emoji codes drawn. */
function unformat(text: string): string {
  return text
    .split(/(`[^`\n]*`)/)
    .map((part, i) =>
      i % 2 === 1
        ? part
        : part
            .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s.,:;!?)])/g, "$1$2")
            .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s.,:;!?)])/g, "$1$2")
            .replace(/(^|[\s(])~([^~\n]+)~(?=$|[\s.,:;!?)])/g, "$1$2")
            .replace(/:([a-z_]+):/g, (code, name: string) => EMOJI[name] ?? code),
    )
    .join("");
}

/**
 * Slack's angle-bracket markup in readable form: `<@U1>` -> `@U1`, `<@U1|ann>` -> `@ann`,
 * `<#C1>` -> `#C1`, `<!here>` -> `@here`, `<!date^…|fallback>` -> `fallback`,
 * `<https://x|label>` -> `label (https://x)`, `<https://x>` -> `https://x`; bold, italic and strike
 * markers dropped and known emoji codes drawn outside code spans; then `&lt;` `&gt;` `&amp;`.
 */
export function mrkdwnToText(text: string): string {
  const links = text.replace(/<([^<>]*)>/g, (_whole, inner: string) => {
    const [target = "", label] = inner.split("|", 2) as [string, string | undefined];
    if (target.startsWith("@") || target.startsWith("#")) return label ? `${target[0]}${label}` : target;
    if (target.startsWith("!date^")) return label ?? target;
    if (target.startsWith("!subteam^")) return label ?? "@group";
    if (target.startsWith("!")) return `@${label ?? target.slice(1)}`;
    return label && label !== target ? `${label} (${target})` : target;
  });
  return unformat(links).replace(/&(lt|gt|amp);/g, (entity) => ENTITIES[entity] ?? entity);
}

function textOf(value: TextObject | string | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") return mrkdwnToText(value);
  if (value.type === "plain_text") return value.text ?? "";
  return mrkdwnToText(value.text ?? value.alt_text ?? "");
}

function elementText(element: Element): string {
  switch (element.type) {
    case "button":
      return `[${textOf(element.text)}]`;
    case "image":
      return element.alt_text ? `(${element.alt_text})` : "";
    case "mrkdwn":
    case "plain_text":
      return textOf(element as TextObject);
    default:
      return element.text !== undefined ? `[${textOf(element.text)}]` : "";
  }
}

function blockText(block: Block): string {
  switch (block.type) {
    case "section": {
      const parts = [textOf(block.text)];
      // A field is "*Label*\nvalue" by convention: one line each reads better.
      if (block.fields) parts.push(block.fields.map((field) => textOf(field).replace("\n", ": ")).join("\n"));
      if (block.accessory) parts.push(elementText(block.accessory));
      return parts.filter((part) => part !== "").join("\n");
    }
    case "header":
      return textOf(block.text).toUpperCase();
    case "context":
      return (block.elements ?? [])
        .map(elementText)
        .filter((part) => part !== "")
        .join(" ");
    case "actions":
      return (block.elements ?? []).map(elementText).join(" ");
    case "divider":
      return "──────────";
    case "input": {
      const optional = block.optional ? " (optional)" : "";
      const value = block.element?.initial_value ?? textOf(block.element?.placeholder);
      const hint = block.hint ? `\n  ${textOf(block.hint)}` : "";
      return `${textOf(block.label)}${optional}: [${value}]${hint}`;
    }
    case "rich_text":
      return richText(block.elements ?? []);
    default:
      return "";
  }
}

function richText(elements: unknown[]): string {
  return elements
    .map((element) => {
      const item = element as {
        type?: string;
        text?: string;
        elements?: unknown[];
        user_id?: string;
        url?: string;
      };
      if (item.type === "text") return item.text ?? "";
      if (item.type === "user") return `@${item.user_id ?? ""}`;
      if (item.type === "link") return item.text ? `${item.text} (${item.url})` : (item.url ?? "");
      return item.elements ? richText(item.elements) : "";
    })
    .join("");
}

/**
 * Renders a message (or a view's blocks) as plain text: sections with their fields, context,
 * buttons as `[Label]`, dividers as a rule, inputs as `Label: [value]`; one block per line.
 * Falls back to `text` when there are no blocks.
 */
export function blocksToText(message: { text?: string; blocks?: unknown[] }): string {
  const blocks = (message.blocks ?? []) as Block[];
  if (blocks.length === 0) return mrkdwnToText(message.text ?? "");
  return blocks
    .map(blockText)
    .filter((text) => text !== "")
    .join("\n");
}
