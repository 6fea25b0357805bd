// A blob read whole and checked before a byte of it is served: in memory when small, in a temporary file when not, so that memory stays flat whatever the size.
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Archives up to this size are held in memory: a temporary file costs more than it saves. */
export const IN_MEMORY_BYTES = 8 << 20;

/** What a file is served through: two buffers, one read while the other is written. */
const SERVE_CHUNK = 1 << 20;

/** Checked bytes, ready to be served. */
export interface Spooled {
  size: number;
  /** Writes the bytes, from the start, to `out` (not ended), each chunk once `out` has taken the last. */
  writeTo(out: Writable): Promise<void>;
  /** Removes the temporary file, if there is one. */
  release(): void;
}

/** Why spooled bytes are not the blob asked for. */
export class SpoolMismatch extends Error {
  override readonly name = 'SpoolMismatch';
}

/**
 * Reads `body` to its end and checks it is `digest` of `size` bytes. Nx reads an answer whole
 * before it unpacks it, and a 200 whose body then breaks off fails the whole Nx run: served only
 * once it is known to be complete and right, a blob cut short or corrupted becomes a miss.
 * Throws SpoolMismatch when the bytes are wrong, or the stream's error when it breaks off.
 *
 * Memory: the body's chunks are copied once, into one buffer of the expected size (never a
 * list of chunks joined, which holds twice the archive), or written to the file as they come;
 * a file is served through two reused buffers, so a large archive costs 2 MiB, not a buffer
 * per chunk left for the garbage collector.
 */
export async function spool(body: Readable, expected: { digest: string; size: number }, dir = tmpdir()): Promise<Spooled> {
  const hash = createHash('sha256');
  let size = 0;
  const check = () => {
    if (size !== expected.size) throw new SpoolMismatch(`the registry sent ${size} bytes of a ${expected.size}-byte archive`);
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== expected.digest) throw new SpoolMismatch(`the registry sent bytes whose digest is ${digest}, not ${expected.digest}`);
  };
  if (expected.size <= IN_MEMORY_BYTES) {
    const bytes = Buffer.allocUnsafeSlow(expected.size);
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size + chunk.length > expected.size) {
        size += chunk.length;
        break; // more than it should be: no use reading on
      }
      hash.update(chunk);
      chunk.copy(bytes, size);
      size += chunk.length;
    }
    body.destroy();
    check();
    return { size, writeTo: (out) => write(out, bytes), release: () => undefined };
  }
  const folder = mkdtempSync(join(dir, 'mzbuild-nx-cache-'));
  const file = join(folder, 'archive');
  const release = () => rmSync(folder, { recursive: true, force: true });
  try {
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          size += chunk.length;
          if (size > expected.size) throw new SpoolMismatch(`the registry sent more than the ${expected.size} bytes of the archive`);
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(file, { highWaterMark: SERVE_CHUNK }),
    );
    check();
  } catch (error) {
    release();
    throw error;
  }
  return { size, writeTo: (out) => serveFile(file, size, out), release };
}

/**
 * The file's `size` bytes written to `out`: a buffer is read again only once `out` has taken it
 * (its write's callback), while the other is read, so that nothing is copied or left behind.
 */
async function serveFile(file: string, size: number, out: Writable): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const buffers = [Buffer.allocUnsafeSlow(SERVE_CHUNK), Buffer.allocUnsafeSlow(SERVE_CHUNK)];
    let writing: Promise<void> = Promise.resolve();
    for (let position = 0, turn = 0; position < size; turn ^= 1) {
      const buffer = buffers[turn]!;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(SERVE_CHUNK, size - position), position);
      if (bytesRead === 0) throw new Error(`the spooled archive ended after ${position} of its ${size} bytes`);
      position += bytesRead;
      await writing; // the other buffer taken, so that it can be read into next
      writing = write(out, buffer.subarray(0, bytesRead));
    }
    await writing;
  } finally {
    await handle.close();
  }
}

/** Resolves once `out` has taken `chunk` (and may be given the next), rejects if it fails or closes first. */
function write(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (out.destroyed) return reject(new Error('the answer was closed before its end'));
    const onClose = () => reject(new Error('the answer was closed before its end'));
    out.once('close', onClose);
    out.write(chunk, (error) => {
      out.off('close', onClose);
      if (error) reject(error);
      else resolve();
    });
  });
}
