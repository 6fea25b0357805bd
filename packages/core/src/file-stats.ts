/** One lstat per file and run, shared by the caches keyed on what lstat says and by the file hasher. */
import { lstatSync, type Stats } from 'node:fs';
import { join } from 'node:path';

/**
 * lstat of root-relative paths, each asked once. A file must be stat-ed *before* it is read for
 * a key to be trusted: a change after the stat then shows as a different key on the next run.
 */
export class FileStats {
  private readonly memo = new Map<string, Stats | null>();
  private readonly prefix: string;

  constructor(readonly root: string) {
    this.prefix = root.endsWith('/') ? root : `${root}/`;
  }

  /** How many paths were stat-ed. */
  get size(): number {
    return this.memo.size;
  }

  /**
   * What lstat says of `path`, or undefined when nothing is there. Other failures (a file where
   * a directory should be, no permission) are thrown, and asked again next time.
   */
  lstat(path: string): Stats | undefined {
    let stat = this.memo.get(path);
    if (stat === undefined) {
      stat = lstatSync(this.absolute(path), { throwIfNoEntry: false }) ?? null;
      this.memo.set(path, stat);
    }
    return stat ?? undefined;
  }

  absolute(path: string): string {
    return path.startsWith('/') || path.includes('..') || path.startsWith('./') ? join(this.root, path) : this.prefix + path;
  }
}

/** What identifies a version of a file, as git's index keeps it: size, mtime, ctime, inode and mode. */
export function statKey(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${stat.mode}`;
}

/**
 * Whether what was read of a file at `readAt` (ms since the epoch) may be remembered under its
 * stat: not for a symbolic link (its content is its target's, which its own lstat does not
 * describe), nor for a file changed within `racyMs` before, where a coarse clock could give
 * the next version the same timestamps.
 */
export function rememberable(stat: Stats, readAt: number, racyMs: number): boolean {
  // In whole milliseconds, as Date.now() gives readAt: a change within the millisecond of the
  // read is not "after" it (which only matters to a window of 0, in tests).
  return !stat.isSymbolicLink() && Math.floor(Math.max(stat.mtimeMs, stat.ctimeMs)) <= readAt - racyMs;
}

/**
 * Stats `paths` until `listing` settles, a few hundred at a time, letting the event loop take
 * git's output in between: what the main thread would otherwise spend waiting for git, it spends
 * on the lstat calls the inputs need anyway.
 */
export async function statWhile(stats: FileStats, paths: Iterator<string>, listing: Promise<unknown>): Promise<void> {
  let settled = false;
  listing.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    for (let i = 0; i < 256; i++) {
      const next = paths.next();
      if (next.done) return;
      try {
        stats.lstat(next.value);
      } catch {
        // Asked again, and reported, where the file is needed.
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
