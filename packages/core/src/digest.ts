import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FingerprintConfig } from './config';
import { UserError } from './errors';
import { ContentHasher, type FileRecord } from './file-hash';
import type { HashReply, HashRequest } from './hash-worker';
import type { PreImage } from './manifest';

export type { FileRecord } from './file-hash';

/** Where self digests get their file records: the working tree, or known hashes in tests. */
export interface FileRecordSource {
  record(path: string): FileRecord;
}

/**
 * Hashes each file once, however many images take it as an input. `prefetch` hashes a batch on
 * two threads when there is enough to hash; `record` then answers from memory.
 */
export class FileHasher implements FileRecordSource {
  private readonly records = new Map<string, FileRecord>();
  private readonly hasher = new ContentHasher();

  /** With a worker from startHashWorker(), large batches are hashed on two threads. */
  constructor(
    private readonly root: string,
    private readonly worker?: Worker,
  ) {}

  record(path: string): FileRecord {
    let record = this.records.get(path);
    if (!record) {
      record = this.read(path);
      this.records.set(path, record);
    }
    return record;
  }

  /**
   * Hashes the files not hashed yet, with the worker's help if it was started. The two threads
   * share one counter; if the main thread took every file before the worker began (a small batch,
   * or a worker still starting), nothing waits for the worker.
   */
  async prefetch(paths: Iterable<string>): Promise<void> {
    const todo = [...new Set(paths)].filter((path) => !this.records.has(path));
    const worker = this.worker;
    if (!worker || todo.length === 0) {
      for (const path of todo) this.record(path);
      return;
    }
    const next = new SharedArrayBuffer(4);
    const counter = new Int32Array(next);
    const { reply, cancel } = replyOf(worker);
    worker.postMessage({ root: this.root, paths: todo, next } satisfies HashRequest);
    let mine = 0;
    for (let i; (i = Atomics.add(counter, 0, 1)) < todo.length; mine++) this.record(todo[i]!);
    if (mine === todo.length) {
      // The worker took nothing: when it gets to this batch, it finds it done and its reply is dropped.
      cancel();
      worker.once('message', () => {});
      return;
    }
    for (const [i, mode, sha1] of await reply) {
      this.records.set(todo[i]!, { mode, sha1: Buffer.from(sha1.buffer, sha1.byteOffset, sha1.byteLength) });
    }
    for (const path of todo) this.record(path); // any the worker could not read: reported from here
  }

  private read(path: string): FileRecord {
    try {
      return this.hasher.record(join(this.root, path));
    } catch (error) {
      throw new UserError(`${path}: is an input file but cannot be read (${describeFsError(error)})`);
    }
  }
}

/**
 * Starts a thread that helps hash inputs. Start it before the inputs are known (a thread takes
 * ~40 ms to start), and only where there may be megabytes to hash. Unreferenced: it never keeps
 * the process alive.
 */
export function startHashWorker(): Worker {
  const worker = new Worker(join(__dirname, 'hash-worker.js'));
  worker.unref();
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

/**
 * `extra()` of a pre-image, with mzbuild's quirk: its flag words are appended to a Python list
 * *character by character*, sorted and joined with commas (spec §2).
 */
export function preImageExtra(step: PreImage, config: FingerprintConfig): string {
  if (step.type !== 'cargo-build') return '';
  const words: string[] = [];
  if (config.profile === 'release') words.push('release');
  if (config.profile === 'optimized') words.push('optimized');
  if (config.coverage) words.push('coverage');
  if (config.sanitizer !== 'none') words.push(config.sanitizer);
  return [...words.join('')].sort().join(',');
}

/** The salts every image gets, with no separators: `profile=Profile.OPTIMIZEDarch=x86_64…mirror=ghcr`. */
export function configSalt(config: FingerprintConfig): string {
  const profile = config.profile.toUpperCase();
  const coverage = config.coverage ? 'True' : 'False';
  return `profile=Profile.${profile}arch=${config.arch}coverage=${coverage}sanitizer=${config.sanitizer}mirror=ghcr`;
}

const NUL = Buffer.from([0]);

/** sha1 over the sorted input records, the pre-images' extras and the salts (spec §2). */
export function selfDigest(inputs: string[], hasher: FileRecordSource, preImages: PreImage[], config: FingerprintConfig): Buffer {
  const hash = createHash('sha1');
  const mode = Buffer.alloc(2);
  for (const path of inputs) {
    const record = hasher.record(path);
    mode.writeUInt16BE(record.mode & 0xffff);
    hash.update(mode);
    hash.update(path, 'utf8');
    hash.update(record.sha1);
    hash.update(NUL);
  }
  for (const step of preImages) {
    hash.update(preImageExtra(step, config), 'utf8');
    hash.update(NUL);
  }
  hash.update(configSalt(config), 'utf8');
  return hash.digest();
}

/** sha1(self ‖ for each direct dependency, by name: name ‖ raw digest ‖ NUL) (spec §3). */
export function fullDigest(self: Buffer, dependencies: { name: string; raw: Buffer }[]): Buffer {
  const hash = createHash('sha1').update(self);
  for (const dependency of [...dependencies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(dependency.name, 'utf8');
    hash.update(dependency.raw);
    hash.update(NUL);
  }
  return hash.digest();
}
