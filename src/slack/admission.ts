/**
 * Abuse limits: at most N checks per Slack user and M per workspace in a sliding hour, on top of
 * the lockout guard. Checked when the command opens the form (so nobody fills it in for nothing)
 * and counted when a check is submitted.
 */
import { withDeadline } from "../ops/deadline.js";
import type { SlidingWindows, WindowVerdict } from "../state/sliding-window.js";

/**
 * `firstTime`: Redis counted this submission just now, so no earlier submission of the same form
 * got this far (absent when unknown: no submission id, or Redis did not answer in time).
 */
export type Admission = { ok: true; firstTime?: boolean } | { ok: false; message: string };

export type Admissions = {
  /** Whether this user may start a check now; counts nothing. Fails open when Redis is slow. */
  check(teamId: string, userId: string): Promise<Admission>;
  /**
   * Counts a submitted check, unless a limit is reached. Fails open when Redis is slow. With
   * `submissionId` (the view id) the same form submitted again is counted once.
   */
  admit(teamId: string, userId: string, submissionId?: string): Promise<Admission>;
};

export type AdmissionOptions = {
  /** Two windows: checks per Slack user, then per workspace. */
  windows: SlidingWindows;
  limits: { checksPerUserPerHour: number; checksPerWorkspacePerHour: number };
  /** Longest wait for Redis, before the form opens and on submission (both inside Slack's 3 s). @defaultValue 300 */
  timeoutMs?: number;
  now?: () => number;
};

/** "in 12 minutes", "in 40 seconds". */
export function waitText(retryAt: Date, now: number): string {
  const seconds = Math.max(1, Math.ceil((retryAt.getTime() - now) / 1_000));
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export function createAdmissions({
  windows,
  limits,
  timeoutMs = 300,
  now = Date.now,
}: AdmissionOptions): Admissions {
  const refuse = (who: "user" | "workspace", retryAt: Date): Admission => ({
    ok: false,
    message:
      who === "user"
        ? `You have started ${limits.checksPerUserPerHour} checks in the last hour, the most one person may. Try again ${waitText(retryAt, now())}.`
        : `This workspace has run ${limits.checksPerWorkspacePerHour} checks in the last hour, the most allowed. Try again ${waitText(retryAt, now())}.`,
  });

  function toAdmission([user, workspace]: WindowVerdict[]): Admission {
    if (user && !user.ok) return refuse("user", user.retryAt);
    if (workspace && !workspace.ok) return refuse("workspace", workspace.retryAt);
    return { ok: true };
  }

  return {
    async check(teamId, userId) {
      // A peek counts nothing; both windows answer in one Redis round trip.
      const verdict = windows.peek([userId, teamId]).then(toAdmission, () => ({ ok: true }) as const);
      return withDeadline(verdict, timeoutMs, (): Admission => ({ ok: true }));
    },
    async admit(teamId, userId, submissionId) {
      // One script counts both windows: a check the workspace's limit refuses does not use up its
      // user's, and the user's window says whether this form was counted before.
      // A Redis failure here surfaces as the enqueue failing right after, with its own message.
      // Bounded too: a Redis that hangs without refusing would otherwise hold the ack past Slack's 3 s.
      const verdict = windows.acquire([userId, teamId], submissionId).then(
        (verdicts): Admission => {
          const admission = toAdmission(verdicts);
          if (!admission.ok || submissionId === undefined) return admission;
          const user = verdicts[0];
          return { ok: true, firstTime: user?.ok === true && user.again !== true };
        },
        () => ({ ok: true }) as const,
      );
      return withDeadline(verdict, timeoutMs, (): Admission => ({ ok: true }));
    },
  };
}
