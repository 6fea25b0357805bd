import { createHash } from 'node:crypto';
import { readFileSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import type { FileRecord } from './file-hash';

/**
 * Content hashes remembered between runs, keyed by what lstat says of the file (size, mtime,
 * ctime, inode, mode), as git's index remembers blob ids. A file whose lstat matches is not read
 * again. ctime cannot be set back by a user, and a file changed in the last few seconds (where a
 * coarse clock could give two versions one timestamp) is never remembered, so a stale answer
 * needs the clock to go backwards. Symbolic links are never remembered: their content is their
 * target's, which their own lstat does not describe.
 */
export class HashCache {
  private readonly entries: Map<string, Entry>;
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    entries: Record<string, Entry>,
    /** Files changed this recently (ms) before they were read are not remembered. */
    private readonly racyMs: number,
  ) {
    this.entries = new Map(Object.entries(entries));
  }

  /** The cache for one repository, in cacheFile(root, 'hashes', 'json'). */
  static forRepository(root: string, env: NodeJS.ProcessEnv = process.env, racyMs = 2000): HashCache {
    const file = cacheFile(root, 'hashes', 'json', env);
    return new HashCache(file, readEntries(file), racyMs);
  }

  /** A cache that remembers within this process only. */
  static inMemory(racyMs = 2000): HashCache {
    return new HashCache(undefined, {}, racyMs);
  }

  /** How many files it remembers: none means a first run, with everything to hash. */
  get size(): number {
    return this.entries.size;
  }

  get(path: string, stat: Stats): FileRecord | undefined {
    const entry = this.entries.get(path);
    if (!entry || entry[0] !== key(stat)) return undefined;
    return { mode: entry[1], sha1: Buffer.from(entry[2], 'hex') };
  }

  /** Remembers a record, read at `readAt` (ms since the epoch), unless the file is a symlink or too fresh. */
  set(path: string, stat: Stats, record: FileRecord, readAt: number): void {
    if (stat.isSymbolicLink() || Math.max(stat.mtimeMs, stat.ctimeMs) > readAt - this.racyMs) return;
    this.entries.set(path, [key(stat), record.mode, record.sha1.toString('hex')]);
    this.changed = true;
  }

  /**
   * Writes the cache, keeping only paths in `live` (the repository's files now), atomically: a
   * concurrent run sees the old file or the new one. A cache that cannot be written is no error.
   */
  save(live: Set<string>): void {
    if (!this.file) return;
    let dropped = false;
    for (const path of this.entries.keys()) {
      if (!live.has(path)) dropped = this.entries.delete(path);
    }
    if (!this.changed && !dropped) return;
    try {
      writeFileAtomic(this.file, JSON.stringify({ version: VERSION, entries: Object.fromEntries(this.entries) }));
    } catch {
      // Only speed is lost.
    }
  }
}

/**
 * A per-repository file in mzbuild's cache directory: `$MZBUILD_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/mzbuild`, else `~/.cache/mzbuild`. Outside the repository, so that nothing of
 * the user's work tree changes.
 */
export function cacheFile(root: string, kind: string, extension: string, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['MZBUILD_CACHE_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'mzbuild');
  return join(dir, `${kind}-${createHash('sha1').update(root).digest('hex').slice(0, 16)}.${extension}`);
}

/** [lstat key, git mode, sha1 hex] */
type Entry = [string, number, string];
const VERSION = 1;

function key(stat: Stats): string {
  return `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}:${stat.mode}`;
}

function readEntries(file: string): Record<string, Entry> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return data?.version === VERSION && typeof data.entries === 'object' ? data.entries : {};
  } catch {
    return {};
  }
}
