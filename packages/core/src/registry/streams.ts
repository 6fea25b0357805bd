// The ends of streamed bodies: an error body read small, an unwanted one let go, since either kept open holds its connection from the pool.
import type { Readable } from 'node:stream';

/** A small body (an error), read whole up to 64 KiB; the rest is thrown away. */
export async function readSmall(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > 65536) break;
      chunks.push(chunk);
    }
  } catch {
    // a body that breaks off says no more than what was read
  } finally {
    discard(body);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Lets go of a body not wanted (or no longer): destroyed, which closes its connection, with its
 * 'error' (undici's "Request aborted") heard, or it would be an uncaught exception.
 */
export function discard(body: Readable): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}
