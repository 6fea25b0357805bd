// Blobs of a registry, one request each: whether one is there, a small one whole, a cross-repository mount, an upload opened, a small one uploaded.
import { requestLine } from './errors';
import { digestOf, matchesDigest } from './manifests';
import { pullScope, pushScope, type Repository } from './scopes';
import { header, isRedirect, type RegistrySession } from './session';
import { isRetryable, type HttpRequest } from './transport';

/** Whether a repository holds a blob: HEAD, whose redirect (to a CDN) also means yes. */
export async function blobExists(session: RegistrySession, repo: Repository, digest: string, scope = pullScope(repo)): Promise<boolean> {
  const req: HttpRequest = { method: 'HEAD', url: session.url(repo, `blobs/${digest}`) };
  const response = await session.send(repo, scope, req, { redirects: false });
  if (response.status === 200 || isRedirect(response.status)) return true;
  if (response.status === 404) return false;
  throw await session.failure(repo, req, response);
}

/** A small blob (an image config), whole; undefined when it is missing or larger than `maxBytes`. */
export async function getSmallBlob(session: RegistrySession, repo: Repository, digest: string, maxBytes: number, scope = pullScope(repo)): Promise<Buffer | undefined> {
  const req: HttpRequest = { method: 'GET', url: session.url(repo, `blobs/${digest}`), maxBytes };
  const response = await session.send(repo, scope, req);
  if (response.status === 404 || response.truncated) return undefined;
  if (response.status !== 200) throw await session.failure(repo, req, response);
  const bytes = response.bytes ?? Buffer.alloc(0);
  if (!matchesDigest(bytes, digest)) {
    throw session.error(repo.registry, `sent a blob for ${digest} whose bytes have another digest`, { request: requestLine(req), status: response.status });
  }
  return bytes;
}

/**
 * Asks the registry to mount a blob of `from` (same registry) into `to`: true when it did
 * (201); else the upload it opened instead (202, to be used for a copy), or undefined when it
 * would do neither (no access to `from`, a registry without mounts), for a plain upload. Only an
 * answer that may change on its own (a 5xx after the transport's retries) is an error.
 */
export async function mountBlob(session: RegistrySession, to: Repository, from: Repository, digest: string, scope = pushScope(to, from)): Promise<true | string | undefined> {
  const query = new URLSearchParams({ mount: digest, from: from.repository });
  const req: HttpRequest = { method: 'POST', url: `${session.url(to, 'blobs/uploads/')}?${query}`, headers: { 'content-length': '0' } };
  const response = await session.send(to, scope, req);
  if (response.status === 201) return true;
  const location = header(response, 'location');
  if (response.status === 202 && location !== undefined) return new URL(location, req.url).toString();
  if (isRetryable(response.status)) throw await session.failure(to, req, response);
  return undefined;
}

/** Opens an upload: POST, and the Location (made absolute) to PUT the blob to. */
export async function startUpload(session: RegistrySession, repo: Repository, scope = pushScope(repo)): Promise<string> {
  const req: HttpRequest = { method: 'POST', url: session.url(repo, 'blobs/uploads/'), headers: { 'content-length': '0' } };
  const response = await session.send(repo, scope, req);
  const location = header(response, 'location');
  if (response.status !== 202 || location === undefined) throw await session.failure(repo, req, response);
  return new URL(location, req.url).toString();
}

/**
 * Uploads a small blob held in memory (a signature's payload, a config) as one monolithic upload:
 * the upload opened, then one PUT of the bytes with their digest, which the registry checks.
 * Returns the digest. The PUT is a buffered request, so the transport retries it as it is.
 */
export async function uploadBlob(session: RegistrySession, repo: Repository, bytes: Buffer, scope = pushScope(repo)): Promise<string> {
  const digest = digestOf(bytes);
  const url = new URL(await startUpload(session, repo, scope));
  url.searchParams.set('digest', digest);
  const req: HttpRequest = { method: 'PUT', url: url.toString(), headers: { 'content-type': 'application/octet-stream' }, body: bytes };
  const response = await session.send(repo, scope, req);
  if (response.status < 200 || response.status > 299) throw await session.failure(repo, req, response);
  return digest;
}
