// A blob read whole and checked before a byte of it is served: in memory when small, in a temporary file when not, so that memory stays flat whatever the size.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Archives up to this size are held in memory: a temporary file costs more than it saves. */
export const IN_MEMORY_BYTES = 8 << 20;

/** Checked bytes, ready to be served. */
export interface Spooled {
  size: number;
  /** The bytes, from the start. */
  open(): Readable;
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
    const chunks: Buffer[] = [];
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > expected.size) break; // more than it should be: no use reading on
      hash.update(chunk);
      chunks.push(chunk);
    }
    body.destroy();
    check();
    const bytes = Buffer.concat(chunks);
    return { size, open: () => Readable.from([bytes]), release: () => undefined };
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
      createWriteStream(file),
    );
    check();
  } catch (error) {
    release();
    throw error;
  }
  return { size, open: () => createReadStream(file, { highWaterMark: 1 << 20 }), release };
}
