/** Child process: the baselines (bare Bolt app and bare BullMQ + undici pipeline) in one process, as the bot runs both roles in one. */

import { serve } from "../lib/ipc.js";
import { readMemory } from "../lib/memory.js";
import { type BareBolt, startBareBolt } from "./bare-bolt.js";
import { type BareCalls, type BarePipeline, startBarePipeline } from "./bare-pipeline.js";

export type BareStartArgs = {
  slackApiUrl: string;
  autotaskOrigin: string;
  redisUrl: string;
  prefix: string;
  signingSecret: string;
  concurrency: number;
  /** @defaultValue "issue" (see bare-pipeline.ts) */
  slackCalls?: BareCalls;
};

let bolt: BareBolt | undefined;
let pipeline: BarePipeline | undefined;
/** "ack": submissions are only acked; "enqueue": each becomes a bare pipeline job first. */
let mode: "ack" | "enqueue" = "ack";

serve({
  async start(args: BareStartArgs): Promise<{ eventsUrl: string }> {
    pipeline = startBarePipeline(args);
    const queue = pipeline;
    bolt = await startBareBolt({
      signingSecret: args.signingSecret,
      slackApiUrl: args.slackApiUrl,
      onSubmission: () =>
        mode === "enqueue"
          ? async ({ viewId, values, privateMetadata }) => {
              await queue.enqueue({
                viewId,
                channelId: (JSON.parse(privateMetadata) as { channelId: string }).channelId,
                username: values.api_username ?? "",
                secret: values.secret ?? "",
                trackingId: values.tracking_id ?? "",
              });
            }
          : undefined,
    });
    return { eventsUrl: bolt.eventsUrl };
  },
  setMode(next: "ack" | "enqueue") {
    mode = next;
  },
  memory: (collect: boolean) => readMemory(collect),
  async stop() {
    await bolt?.stop();
    await pipeline?.close();
  },
});
