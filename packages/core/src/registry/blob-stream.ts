// Blobs too large to hold in memory, one request at a time: read as a stream, and uploaded from a stream whose digest is known only at its end.
import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { startUpload } from './blob-requests';
import { RegistryNetworkError } from './errors';
import { pullScope, pushScope, type Repository } from './scopes';
import { header, type RegistrySession } from './session';
import { discard, readSmall } from './streams';
import type { HttpRequest, StreamRequest } from './transport';

/** A blob's body as the registry sends it: to be read to its end or destroyed. */
export interface BlobStream {
  /** Content-Length, when the registry sent one. */
  size: number | undefined;
  body: Readable;
}

/** Why a streamed upload stopped on the side of what was being uploaded, not the registry's. */
export type SourceProblem = 'too-large' | 'broke-off' | 'short';

/** The stream being uploaded failed (it grew past its cap, broke off, or ended early): the registry is not to blame. */
export class UploadSourceError extends Error {
  override readonly name = 'UploadSourceError';
  constructor(
    readonly problem: SourceProblem,
    message: string,
  ) {
    super(message);
  }
}

/** GET of a blob as a stream (redirects followed); undefined when the registry has none (404). */
export async function readBlobStream(session: RegistrySession, repo: Repository, digest: string): Promise<BlobStream | undefined> {
  const req: StreamRequest = { method: 'GET', url: session.url(repo, `blobs/${digest}`) };
  const response = await session.stream(repo, pullScope(repo), req);
  if (response.status === 404) {
    discard(response.body);
    return undefined;
  }
  if (response.status !== 200) {
    throw await session.failure(repo, req, { status: response.status, headers: response.headers, body: await readSmall(response.body) });
  }
  const length = Number(header(response, 'content-length'));
  return { size: Number.isSafeInteger(length) ? length : undefined, body: response.body };
}

/**
 * Uploads a stream as one blob without holding it: the upload opened (POST), the bytes sent as
 * they come in one PATCH while they are hashed, then the upload closed with a PUT naming their
 * digest, which the registry checks against what it received. A monolithic PUT would need the
 * digest before the first byte. A stream that breaks off, ends short of `size`, or passes
 * `maxBytes` throws an UploadSourceError and the upload is cancelled, never closed: no blob is
 * made of part of it. Returns the digest and the size.
 */
export async function uploadBlobStream(
  session: RegistrySession,
  repo: Repository,
  source: Readable,
  options: { size?: number; maxBytes: number },
): Promise<{ digest: string; size: number }> {
  const scope = pushScope(repo);
  const hash = createHash('sha256');
  let size = 0;
  let problem: UploadSourceError | undefined;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > options.maxBytes) return done((problem = new UploadSourceError('too-large', `is larger than ${options.maxBytes} bytes`)));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  source.on('error', () => void (problem ??= new UploadSourceError('broke-off', 'broke off before its end')));
  // A client that goes away mid-body closes the request without an 'error' on some Node versions.
  source.on('aborted', () => void (problem ??= new UploadSourceError('broke-off', 'broke off before its end')));
  source.on('error', (error) => counted.destroy(error));
  source.pipe(counted);
  // What was not sent stays the caller's to drain: unpiped, or the pipe would stall it.
  const stop = () => {
    source.unpipe(counted);
    counted.destroy();
  };

  let location: string;
  try {
    location = await startUpload(session, repo, scope);
  } catch (error) {
    stop();
    throw error;
  }
  const patch: StreamRequest = {
    method: 'PATCH',
    url: location,
    headers: { 'content-type': 'application/octet-stream', ...(options.size === undefined ? {} : { 'content-length': String(options.size) }) },
    body: counted,
  };
  let next: string;
  try {
    const response = await session.stream(repo, scope, patch);
    const body = await readSmall(response.body);
    if (problem) throw problem;
    if (response.status !== 202) throw await session.failure(repo, patch, { status: response.status, headers: response.headers, body });
    next = new URL(header(response, 'location') ?? location, location).toString();
  } catch (error) {
    stop();
    await cancel(session, repo, scope, location);
    if (problem) throw problem;
    // The source broke off only if it was itself destroyed before its end: undici destroys the body
    // it was sending (`counted`) when the registry's connection fails, which says nothing of the source.
    if (error instanceof RegistryNetworkError && source.destroyed && !source.readableEnded) throw new UploadSourceError('broke-off', 'broke off before its end');
    throw error;
  }
  if (problem || (options.size !== undefined && size !== options.size)) {
    await cancel(session, repo, scope, next);
    throw problem ?? new UploadSourceError('short', `ended after ${size} of its ${options.size} bytes`);
  }

  const digest = `sha256:${hash.digest('hex')}`;
  const url = new URL(next);
  url.searchParams.set('digest', digest);
  const put: HttpRequest = { method: 'PUT', url: url.toString(), headers: { 'content-length': '0' } };
  const response = await session.send(repo, scope, put);
  if (response.status !== 201 && response.status !== 204) throw await session.failure(repo, put, response);
  return { digest, size };
}

/** Lets the registry drop an upload that will not be closed; it would expire on its own, so a failure is no matter. */
async function cancel(session: RegistrySession, repo: Repository, scope: string, location: string): Promise<void> {
  try {
    await session.send(repo, scope, { method: 'DELETE', url: location });
  } catch {
    // the registry purges abandoned uploads itself
  }
}
