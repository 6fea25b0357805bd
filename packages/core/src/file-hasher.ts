/** Hashes input files once each, from the hash cache where lstat allows, on a second thread when there are many. */
import { existsSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from './errors';
import { ContentHasher, type FileRecord } from './file-hash';
import { FileStats } from './file-stats';
import { HashCache } from './hash-cache';
import type { HashReply, HashRequest } from './hash-worker';
import { timings } from './timings';

export type { FileRecord } from './file-hash';

/** Where self digests get their file records: the working tree, or known hashes in tests. */
export interface FileRecordSource {
  record(path: string): FileRecord;
}

/** Where a resolver gets its inputs' records: the working tree (FileHasher), or a commit's tree (revision/). */
export interface InputRecords extends FileRecordSource {
  /** Reads what is not known yet of these, in one batch. */
  prefetch(paths: Iterable<string>): Promise<void>;
  readonly counts: { hashed: number; cached: number };
  /** Remembers the hashes for the next run, where there is a cache. */
  saveCache(files: readonly string[]): void;
}

/** Below this many bytes to read, a second thread costs more (~40 ms to start) than it saves. */
const WORKER_THRESHOLD = 16 << 20;

/**
 * Hashes each file once, however many images take it as an input, and remembers hashes between
 * runs in a HashCache. `prefetch` hashes a batch, on two threads when it is large; `record` then
 * answers from memory.
 */
export class FileHasher implements InputRecords {
  private readonly records = new Map<string, FileRecord>();
  private readonly hasher = new ContentHasher();
  private worker?: Worker;
  /** How many files were read and hashed, and how many the cache answered for. */
  readonly counts = { hashed: 0, cached: 0 };

  /**
   * With `hashingThread`, a large batch is hashed on two threads: the thread is started when
   * needed, or given already started (from startHashWorker()). `stats` shares lstat answers
   * with the other caches of the run.
   */
  constructor(
    private readonly root: string,
    private readonly cache: HashCache = HashCache.inMemory(),
    hashingThread: boolean | Worker | undefined = false,
    private readonly stats: FileStats = new FileStats(root),
  ) {
    this.useWorker = hashingThread !== false && hashingThread !== undefined;
    if (typeof hashingThread === 'object') this.worker = hashingThread;
  }

  private readonly useWorker: boolean;

  record(path: string): FileRecord {
    let record = this.records.get(path);
    if (!record) {
      record = this.read(path, this.lstat(path), Date.now());
      this.records.set(path, record);
    }
    return record;
  }

  /**
   * Hashes the files not known yet. Files the cache answers for are not read; if the rest add up
   * to many megabytes, a worker thread helps, taking files from the same counter as this thread.
   */
  async prefetch(paths: Iterable<string>): Promise<void> {
    const readAt = Date.now();
    const misses: Miss[] = [];
    const missed = new Set<string>();
    let bytes = 0;
    const started = performance.now();
    for (const path of paths) {
      if (this.records.has(path) || missed.has(path)) continue;
      const stat = this.lstat(path);
      const cached = this.cache.get(path, stat);
      if (cached) {
        this.records.set(path, cached);
        this.counts.cached++;
      } else {
        missed.add(path);
        misses.push({ path, stat });
        bytes += stat.size;
      }
    }
    timings.add('stat', performance.now() - started);
    await timings.timeAsync('hash', () => this.hashMisses(misses, bytes, readAt));
  }

  private async hashMisses(misses: Miss[], bytes: number, readAt: number): Promise<void> {
    if (this.useWorker && bytes >= WORKER_THRESHOLD) await this.hashWithWorker(misses, readAt);
    for (const { path, stat } of misses) {
      if (!this.records.has(path)) this.records.set(path, this.read(path, stat, readAt));
    }
  }

  /** Writes the remembered hashes of files that still exist in the repository. */
  saveCache(live: Iterable<string>): void {
    this.cache.save(live);
  }

  /** Hashes `misses` on this thread and the worker's; any the worker could not read are left. */
  private async hashWithWorker(misses: Miss[], readAt: number): Promise<void> {
    this.worker ??= startHashWorker();
    const worker = this.worker;
    if (!worker) return;
    const next = new SharedArrayBuffer(4);
    const counter = new Int32Array(next);
    const { reply, cancel } = replyOf(worker);
    worker.postMessage({ root: this.root, paths: misses.map((m) => m.path), next } satisfies HashRequest);
    let mine = 0;
    for (let i; (i = Atomics.add(counter, 0, 1)) < misses.length; mine++) {
      const { path, stat } = misses[i]!;
      this.records.set(path, this.read(path, stat, readAt));
    }
    if (mine === misses.length) {
      // The worker took nothing: when it gets to this batch, it finds it done and its reply is dropped.
      cancel();
      worker.once('message', () => {});
      return;
    }
    for (const [i, mode, digest] of await reply) {
      const { path, stat } = misses[i]!;
      const record = { mode, sha1: Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength) };
      this.records.set(path, record);
      this.cache.set(path, stat, record, readAt);
      this.counts.hashed++;
    }
  }

  private lstat(path: string): Stats {
    let stat: Stats | undefined;
    try {
      stat = this.stats.lstat(path);
    } catch (error) {
      throw unreadable(path, error);
    }
    if (!stat) throw unreadable(path, Object.assign(new Error('no such file'), { code: 'ENOENT' }));
    return stat;
  }

  private read(path: string, stat: Stats, readAt: number): FileRecord {
    let record: FileRecord;
    try {
      record = this.hasher.record(join(this.root, path), stat);
    } catch (error) {
      throw unreadable(path, error);
    }
    this.cache.set(path, stat, record, readAt);
    this.counts.hashed++;
    return record;
  }
}

interface Miss {
  path: string;
  stat: Stats;
}

function unreadable(path: string, error: unknown): UserError {
  return new UserError(`${path}: is an input file but cannot be read (${describeFsError(error)})`);
}

/**
 * Starts a thread that helps hash inputs, or returns undefined where its script is missing (the
 * sources run without a build). Unreferenced: it never keeps the process alive. A thread that
 * fails only stops helping: the main thread hashes what is left.
 */
export function startHashWorker(): Worker | undefined {
  // Beside this module once built; from the sources (in tests), in the build output.
  const script = [join(__dirname, 'hash-worker.js'), join(__dirname, '../dist/hash-worker.js')].find((file) => existsSync(file));
  if (!script) return undefined;
  const worker = new Worker(script);
  worker.unref();
  worker.on('error', () => {});
  return worker;
}

/** The worker's next reply; an empty one if it fails, so that the main thread hashes the rest. */
function replyOf(worker: Worker): { reply: Promise<HashReply>; cancel: () => void } {
  let settle!: (reply: HashReply) => void;
  const reply = new Promise<HashReply>((resolve) => (settle = resolve));
  const failed = () => settle([]);
  const cancel = () => {
    worker.off('message', settle);
    worker.off('error', failed);
    worker.off('exit', failed);
  };
  worker.once('message', settle);
  worker.once('error', failed);
  worker.once('exit', failed);
  return { reply: reply.finally(cancel), cancel };
}

function describeFsError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'it does not exist, or is a symlink whose target does not exist';
    case 'EISDIR':
      return 'it is a directory, or a symlink to one';
    case 'EACCES':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}
