/**
 * Whether checks that ran in a busy channel reached Slack whole: one parent each, finished, and
 * every line a check posts when it runs alone present in its thread, in the same order. Pure.
 */

/** A parent message and its thread as the Slack emulator holds them at the end. */
export type ThreadView = {
  /** The parent's text now. */
  text: string;
  /** From the final update's metadata; undefined while the parent was never finished. */
  username?: string;
  outcome?: string;
  /** The replies' texts, in the order Slack shows them. */
  replies: string[];
};

export type ThreadsVerdict = {
  checks: number;
  /** Usernames with no parent message in the channel. */
  missingParents: string[];
  /** Parents beyond one per check (a second parent for a check, or one no check claims). */
  extraParents: number;
  /** Usernames whose parent never got its final update. */
  notFinal: string[];
  /** Lines a check posts alone that its thread lacks, by username. */
  lost: { username: string; lines: string[] }[];
  /** Usernames whose thread has every line, but not in the order of a check run alone. */
  outOfOrder: string[];
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A thread's replies as comparable lines: split, trimmed, blank lines left out, request ids and
 * numbers (usernames, usage counts, tracking identifiers) made alike across checks. Replies may
 * be merged or split differently and still read the same.
 */
export function threadLines(replies: readonly string[]): string[] {
  return replies
    .flatMap((reply) => reply.split("\n"))
    .map((line) => line.trim().replace(UUID, "<id>").replace(/\d+/g, "#"))
    .filter((line) => line !== "");
}

/** Lines of `expected` that `actual` lacks, counting repeats. */
function missingLines(expected: readonly string[], actual: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const line of actual) left.set(line, (left.get(line) ?? 0) + 1);
  const missing: string[] = [];
  for (const line of expected) {
    const count = left.get(line) ?? 0;
    if (count === 0) missing.push(line);
    else left.set(line, count - 1);
  }
  return missing;
}

/** Whether `expected` appears in `actual` in order, other lines allowed between. */
function inOrder(expected: readonly string[], actual: readonly string[]): boolean {
  let next = 0;
  for (const line of actual) if (line === expected[next]) next += 1;
  return next === expected.length;
}

function ownerOf(thread: ThreadView, usernames: readonly string[]): string | undefined {
  if (thread.username !== undefined) return usernames.find((u) => u === thread.username);
  return usernames.find((u) => thread.text.includes(u));
}

/**
 * @param reference the thread of the same check run alone in a quiet channel.
 * @param threads every parent message of the channel, in order.
 * @param usernames the API username of each check submitted there, one check each.
 */
export function verifyThreads(
  reference: ThreadView,
  threads: readonly ThreadView[],
  usernames: readonly string[],
): ThreadsVerdict {
  const expected = threadLines(reference.replies);
  const verdict: ThreadsVerdict = {
    checks: usernames.length,
    missingParents: [],
    extraParents: 0,
    notFinal: [],
    lost: [],
    outOfOrder: [],
  };
  const byOwner = new Map<string, ThreadView[]>();
  for (const thread of threads) {
    const owner = ownerOf(thread, usernames);
    if (owner === undefined) verdict.extraParents += 1;
    else byOwner.set(owner, [...(byOwner.get(owner) ?? []), thread]);
  }
  for (const username of usernames) {
    const [thread, ...others] = byOwner.get(username) ?? [];
    verdict.extraParents += others.length;
    if (!thread) {
      verdict.missingParents.push(username);
      continue;
    }
    if (thread.outcome === undefined) verdict.notFinal.push(username);
    const actual = threadLines(thread.replies);
    const lost = missingLines(expected, actual);
    if (lost.length > 0) verdict.lost.push({ username, lines: lost });
    else if (!inOrder(expected, actual)) verdict.outOfOrder.push(username);
  }
  return verdict;
}

/** Messages lost: missing lines, plus every line of a check whose parent is missing. */
export function lostCount(verdict: ThreadsVerdict, reference: ThreadView): number {
  const perThread = threadLines(reference.replies).length;
  return (
    verdict.lost.reduce((sum, { lines }) => sum + lines.length, 0) + verdict.missingParents.length * perThread
  );
}
