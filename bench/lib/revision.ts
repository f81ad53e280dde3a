/**
 * Another revision of this repository, checked out beside the working tree (a detached git
 * worktree in a temporary directory) so the bench can run the bot as it was there against the bot
 * as it is now. It shares this checkout's node_modules: compare revisions with the same lockfile.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type Revision = {
  /** The worktree's root. */
  dir: string;
  /** The short commit id the revision resolved to. */
  commit: string;
  /** Removes the worktree. */
  remove(): void;
};

const git = (args: string[], cwd: string) =>
  execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** Checks out `rev` (a commit, branch or tag of the repository at `repoDir`) in a new worktree. */
export function checkoutRevision(repoDir: string, rev: string): Revision {
  let commit: string;
  try {
    commit = git(["rev-parse", "--short", "--verify", `${rev}^{commit}`], repoDir);
  } catch {
    throw new Error(`--against ${rev}: no such commit, branch or tag in ${repoDir}`);
  }
  const dir = mkdtempSync(join(tmpdir(), "atc-bench-rev-"));
  git(["worktree", "add", "--detach", "--quiet", dir, commit], repoDir);
  symlinkSync(join(repoDir, "node_modules"), join(dir, "node_modules"), "dir");
  return {
    dir,
    commit,
    remove() {
      try {
        git(["worktree", "remove", "--force", dir], repoDir);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
