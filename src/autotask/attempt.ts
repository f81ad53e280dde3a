/**
 * One Autotask request of the check, with its bounded retries, and for authenticated requests the
 * login budget around every try. Authenticated requests are retried only after an answer that
 * proves the credentials (429, Itgenatr005), each retry on a unit of its own. The rule it keeps: no authenticated request is sent that could
 * end without proof of the credentials unless a budget unit covers it, taken before it is sent, or
 * (for an entity probe after the credentials were just proven) counted the moment it ends so.
 */
import type { LoginBudget, LoginUnit, Refusal } from "./budget.js";
import type { AutotaskReply } from "./client.js";
import {
  type AutotaskCall,
  diagnoseReply,
  type Failure,
  keptAs,
  neverSent,
  provesCredentials,
  type Redact,
} from "./diagnosis.js";
import { type RetryPolicy, retrying, type Sleep } from "./retry.js";

export type Answered = { reply: AutotaskReply; failure: Failure | null };

/**
 * How a request ended. `refused` is set when the budget refused a try: then `last` is the previous
 * try's answer, or null when nothing was sent.
 */
export type Attempted = { last: Answered | null; refused: Refusal | null };

export type AttemptOptions = {
  call: AutotaskCall;
  send: () => Promise<AutotaskReply>;
  redact: Redact;
  policy: RetryPolicy;
  sleep: Sleep;
  random: () => number;
  signal?: AbortSignal;
  /**
   * The budget of an authenticated request and its username; absent for the zone lookup (no
   * credentials) and for callers without a budget.
   */
  budget?: {
    store: LoginBudget;
    username: string;
    /**
     * How the first try is covered: a unit the caller took for it (the login), or "count-after"
     * (an entity probe sent on credentials this check just proved: it is counted if it ends
     * without proof). Every retry takes a fresh unit before it is sent.
     */
    first: "count-after" | LoginUnit;
  };
};

/** Sends the request, retrying transient failures within the policy and the login budget. */
export async function attempt(options: AttemptOptions): Promise<Attempted> {
  const { budget } = options;
  let last: Answered | null = null;
  let refused: Refusal | null = null;
  let tries = 0;

  async function once(): Promise<Answered | null> {
    tries += 1;
    let unit: LoginUnit | null = null;
    if (budget && tries === 1 && budget.first !== "count-after") unit = budget.first;
    else if (budget && tries > 1) {
      const taken = await budget.store.take(budget.username, options.signal);
      if (!taken.ok) {
        refused = taken;
        return null;
      }
      unit = taken.unit;
    }
    const reply = await options.send();
    const failure = diagnoseReply(options.call, reply, options.redact);
    if (budget) {
      if (provesCredentials(reply, failure) || neverSent(reply)) {
        if (unit) await budget.store.giveBack(unit);
      } else if (unit) {
        await budget.store.keep(unit, keptAs(failure));
      } else {
        await budget.store.spend(budget.username, keptAs(failure));
      }
    }
    last = { reply, failure };
    return last;
  }

  // An authenticated request whose outcome is unknown (timeout, reset, empty 5xx) may have been a
  // failed login to Autotask: it is not tried again here. The job runs again later (each run takes
  // its own unit), which gives a passing outage more time than a retry a second later would.
  const authenticated = options.call !== "zone";
  const judge = (answered: Answered | null) => {
    if (answered === null || answered.failure === null) return null;
    if (authenticated && !provesCredentials(answered.reply, answered.failure)) return null;
    return answered.failure;
  };
  await retrying(once, judge, {
    policy: options.policy,
    sleep: options.sleep,
    random: options.random,
    signal: options.signal,
  });
  return { last, refused };
}
