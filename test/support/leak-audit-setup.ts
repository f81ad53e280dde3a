/**
 * Setup file of the leak-audit run (leak-audit.config.ts): every stack started in this test process
 * reports to the audit folder. In an ordinary run this file is not loaded and nothing changes.
 */
import { inject } from "vitest";
import { setStackAudit } from "../../src/demo/stack.js";
import { type FolderSink, folderSink } from "./leak-audit.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set only in the leak-audit run: the folder the audit collects into. */
    leakAuditDir: string;
  }
}

let sink: FolderSink | null = null;

/** The audit of this run, or null outside the leak-audit run. Tests record extra secrets and process output here. */
export function activeAudit(): FolderSink | null {
  if (sink) return sink;
  let dir: string | undefined;
  try {
    dir = inject("leakAuditDir");
  } catch {
    dir = undefined;
  }
  if (!dir) return null;
  sink = folderSink(dir);
  return sink;
}

setStackAudit(activeAudit());
