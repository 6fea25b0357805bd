/** The content hashes of input files, remembered between runs and keyed by what lstat says of each file. */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import type { FileRecord } from './file-hash';
import { rememberable } from './file-stats';

/**
 * Content hashes remembered between runs, keyed by what lstat says of the file (size, mtime,
 * ctime, inode, mode), as git's index remembers blob ids. A file whose lstat matches is not read
 * again. ctime cannot be set back by a user, and a file changed in the last few seconds (where a
 * coarse clock could give two versions one timestamp) is never remembered, so a stale answer
 * needs the clock to go backwards. Symbolic links are never remembered: their content is their
 * target's, which their own lstat does not describe.
 *
 * The file is binary, so that a run loads tens of thousands of entries without parsing them:
 * numbers in one Float64Array, digests in one buffer, paths in one string.
 */
export class HashCache {
  private readonly added = new Map<string, Added>();
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly loaded: Loaded,
    /** Files changed this recently (ms) before they were read are not remembered. */
    private readonly racyMs: number,
  ) {}

  /** The cache for one repository, in cacheFile(root, 'hashes', 'bin'). */
  static forRepository(root: string, env: NodeJS.ProcessEnv = process.env, racyMs = 2000): HashCache {
    const file = cacheFile(root, 'hashes', 'bin', env);
    return new HashCache(file, readLoaded(file), racyMs);
  }

  /** A cache that remembers within this process only. */
  static inMemory(racyMs = 2000): HashCache {
    return new HashCache(undefined, EMPTY, racyMs);
  }

  /** How many files it remembers: none means a first run, with everything to hash. */
  get size(): number {
    return this.loaded.index.size + this.added.size;
  }

  /** The paths remembered from earlier runs: most likely this run's inputs. */
  paths(): IterableIterator<string> {
    return this.loaded.index.keys();
  }

  get(path: string, stat: Stats): FileRecord | undefined {
    const added = this.added.get(path);
    if (added) return sameStat(added.numbers, 0, stat) ? added.record : undefined;
    const slot = this.loaded.index.get(path);
    if (slot === undefined || !sameStat(this.loaded.numbers, slot * FIELDS, stat)) return undefined;
    return { mode: this.loaded.numbers[slot * FIELDS + 5]!, sha1: this.loaded.digests.subarray(slot * 20, slot * 20 + 20) };
  }

  /** Remembers a record, read at `readAt` (ms since the epoch), unless the file is a symlink or too fresh. */
  set(path: string, stat: Stats, record: FileRecord, readAt: number): void {
    if (!rememberable(stat, readAt, this.racyMs)) return;
    this.added.set(path, { numbers: numbersOf(stat, record.mode), record });
    this.changed = true;
  }

  /**
   * Writes the cache, keeping only paths in `live` (the repository's files now, each once),
   * atomically: a concurrent run sees the old file or the new one. A cache that cannot be written
   * is no error.
   */
  save(live: Iterable<string>): void {
    if (!this.file) return;
    const kept: string[] = [];
    let fromLoaded = 0;
    for (const path of live) {
      if (this.added.has(path)) kept.push(path);
      else if (this.loaded.index.has(path)) {
        kept.push(path);
        fromLoaded++;
      }
    }
    const dropped = fromLoaded < this.loaded.index.size;
    if (!this.changed && !dropped) return;
    try {
      writeFileAtomic(this.file, this.encode(kept));
      // Earlier versions kept the hashes as JSON; that file is read no more.
      rmSync(this.file.replace(/\.bin$/, '.json'), { force: true });
    } catch {
      // Only speed is lost.
    }
  }

  private encode(paths: string[]): Buffer {
    const names = Buffer.from(paths.join('\0'), 'utf8');
    const numbersBytes = paths.length * FIELDS * 8;
    const out = Buffer.alloc(HEADER + numbersBytes + paths.length * 20 + names.length);
    out.write(MAGIC, 0, 'latin1');
    out.writeUInt32LE(paths.length, 4);
    out.writeUInt32LE(names.length, 8);
    const numbers = new Float64Array(out.buffer, out.byteOffset + HEADER, paths.length * FIELDS);
    const digests = out.subarray(HEADER + numbersBytes, HEADER + numbersBytes + paths.length * 20);
    paths.forEach((path, i) => {
      const added = this.added.get(path);
      if (added) {
        numbers.set(added.numbers, i * FIELDS);
        added.record.sha1.copy(digests, i * 20);
      } else {
        const slot = this.loaded.index.get(path)!;
        numbers.set(this.loaded.numbers.subarray(slot * FIELDS, slot * FIELDS + FIELDS), i * FIELDS);
        this.loaded.digests.copy(digests, i * 20, slot * 20, slot * 20 + 20);
      }
    });
    names.copy(out, HEADER + numbersBytes + paths.length * 20);
    return out;
  }
}

/**
 * A per-repository file in mzbuild's cache directory: `$MZBUILD_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/mzbuild`, else `~/.cache/mzbuild`. Outside the repository, so that nothing of
 * the user's work tree changes.
 */
export function cacheFile(root: string, kind: string, extension: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDirectory(env), `${kind}-${createHash('sha1').update(root).digest('hex').slice(0, 16)}.${extension}`);
}

/** mzbuild's cache directory, as cacheFile finds it; what is not per repository (the build locks) lives here too. */
export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return env['MZBUILD_CACHE_DIR'] || join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'mzbuild');
}


/** "MZH" and the format version (1 was JSON). */
const MAGIC = 'MZH2';
/** Magic, entry count, byte length of the paths, padding: the numbers start 8-byte aligned. */
const HEADER = 16;
/** Per entry: size, mtimeMs, ctimeMs, inode, lstat mode, git mode. */
const FIELDS = 6;

interface Loaded {
  index: Map<string, number>;
  numbers: Float64Array;
  digests: Buffer;
}

interface Added {
  numbers: Float64Array;
  record: FileRecord;
}

const EMPTY: Loaded = { index: new Map(), numbers: new Float64Array(0), digests: Buffer.alloc(0) };

function numbersOf(stat: Stats, gitMode: number): Float64Array {
  return Float64Array.of(stat.size, stat.mtimeMs, stat.ctimeMs, stat.ino, stat.mode, gitMode);
}

function sameStat(numbers: Float64Array, at: number, stat: Stats): boolean {
  return (
    numbers[at] === stat.size &&
    numbers[at + 1] === stat.mtimeMs &&
    numbers[at + 2] === stat.ctimeMs &&
    numbers[at + 3] === stat.ino &&
    numbers[at + 4] === stat.mode
  );
}

/** The entries of a cache file; none when it is missing, of another version or cut short. */
function readLoaded(file: string): Loaded {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return EMPTY;
  }
  if (data.length < HEADER || data.toString('latin1', 0, 4) !== MAGIC) return EMPTY;
  const count = data.readUInt32LE(4);
  const namesLength = data.readUInt32LE(8);
  const numbersBytes = count * FIELDS * 8;
  if (data.length !== HEADER + numbersBytes + count * 20 + namesLength) return EMPTY;
  // A Float64Array needs an 8-byte aligned offset; a copy gives one where the read did not.
  const aligned = data.byteOffset % 8 === 0 ? data : Buffer.from(data.buffer.slice(data.byteOffset, data.byteOffset + data.length));
  const numbers = new Float64Array(aligned.buffer, aligned.byteOffset + HEADER, count * FIELDS);
  const digests = aligned.subarray(HEADER + numbersBytes, HEADER + numbersBytes + count * 20);
  const names = count === 0 ? [] : aligned.toString('utf8', HEADER + numbersBytes + count * 20).split('\0');
  if (names.length !== count) return EMPTY;
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) index.set(names[i]!, i);
  return { index, numbers, digests };
}
