/**
 * A worker thread that hashes input files beside the main thread. Both take the next file from
 * one shared counter, so the worker helps with whatever is left when it is ready, and however
 * unevenly the files are sized. A file it cannot read is left to the main thread, which reports it.
 */
import { join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { ContentHasher } from './file-hash';

export interface HashRequest {
  root: string;
  paths: string[];
  /** An Int32 in a SharedArrayBuffer: the index of the next file to take. */
  next: SharedArrayBuffer;
}

/** [index into paths, mode, sha1] for each file this worker hashed. */
export type HashReply = [number, number, Uint8Array][];

const hasher = new ContentHasher();
parentPort?.on('message', ({ root, paths, next }: HashRequest) => {
  const counter = new Int32Array(next);
  const reply: HashReply = [];
  for (let i; (i = Atomics.add(counter, 0, 1)) < paths.length; ) {
    try {
      const { mode, sha1 } = hasher.record(join(root, paths[i]!));
      reply.push([i, mode, sha1]);
    } catch {
      // Left out: the main thread reads it again and reports the error with its path.
    }
  }
  parentPort!.postMessage(reply);
});
