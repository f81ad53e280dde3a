/**
 * What a person sees of each check in Slack after a fault, reduced to the figures of issue 5:
 * was its result lost, or posted twice?
 */
import { expect } from "vitest";
import type { SlackEmulator } from "../../../src/emulators/slack.js";
import { metadataOf, replyLines } from "../../support/e2e-helpers.js";

export type Outcome = {
  username: string;
  /** Top-level messages about this API username. */
  parents: number;
  /** Final metadata (outcome, code, ...) on the parent, if written. */
  code: string | null;
  /** "Done" replies in its thread. */
  done: number;
  /** chat.update calls on the parent that Slack accepted. */
  updates: number;
  /** Reply lines posted more than once within one job attempt (a retry shows its own steps). */
  repeated: string[];
};

/** Replies repeated inside one attempt; attempts are separated by the "trying again" notice. */
function repeatsWithinAttempts(texts: string[]): string[] {
  const repeated: string[] = [];
  let attempt = new Set<string>();
  for (const text of texts) {
    if (text.includes("trying again")) attempt = new Set();
    else if (attempt.has(text)) repeated.push(text);
    attempt.add(text);
  }
  return repeated;
}

export function outcomeOf(slack: SlackEmulator, channelId: string, username: string): Outcome {
  const parents = slack.thread(channelId).filter((thread) => thread.text.includes(username));
  const parent = parents[0];
  const texts = parent ? replyLines(parent) : [];
  return {
    username,
    parents: parents.length,
    code: parent ? (metadataOf(parent)?.event_payload?.code ?? null) : null,
    done: texts.filter((text) => text.startsWith("Done")).length,
    updates: parent
      ? slack
          .callsOf("chat.update")
          .filter((call) => call.args.ts === parent.ts && (call.response as { ok?: boolean }).ok).length
      : 0,
    repeated: repeatsWithinAttempts(texts),
  };
}

/** Resolves once every username's check has its final state and "Done" reply (or rejects after `timeoutMs`). */
export function waitForAll(slack: SlackEmulator, channelId: string, usernames: string[], timeoutMs = 20_000) {
  return slack.waitFor(() => {
    const outcomes = usernames.map((username) => outcomeOf(slack, channelId, username));
    return outcomes.every((outcome) => outcome.code !== null && outcome.done > 0) ? outcomes : undefined;
  }, timeoutMs);
}

/** The figures of a fault test: requests made, results lost and duplicated. */
export type Figures = { test: string; faults: number; requests: number; lost: number; duplicated: number };

/**
 * Counts lost and duplicated results, prints the figures (they are summed in the report of issue 5)
 * and asserts the contract: exactly one final result per request, nothing posted twice.
 */
export function expectEachReportedOnce(test: string, faults: number, outcomes: Outcome[]): Figures {
  const figures: Figures = {
    test,
    faults,
    requests: outcomes.length,
    lost: outcomes.filter((outcome) => outcome.code === null || outcome.done === 0).length,
    duplicated: outcomes.filter(
      (outcome) =>
        outcome.parents > 1 || outcome.done > 1 || outcome.repeated.length > 0 || outcome.updates > 2,
    ).length,
  };
  process.stdout.write(`fault figures: ${JSON.stringify(figures)}\n`);
  for (const outcome of outcomes) {
    expect(outcome, outcome.username).toMatchObject({ parents: 1, done: 1, repeated: [] });
    // One final update; a re-run after a crash may rewrite the same final state once more.
    expect(outcome.updates, outcome.username).toBeGreaterThanOrEqual(1);
    expect(outcome.updates, outcome.username).toBeLessThanOrEqual(2);
  }
  expect(figures).toMatchObject({ lost: 0, duplicated: 0 });
  return figures;
}
