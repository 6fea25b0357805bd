// Manifests of a registry: get, head and put, each checked against the digests the registry and the caller name.
import { requestLine } from './errors';
import { digestOf, isDigest, manifestMediaType, matchesDigest, MAX_MANIFEST_BYTES, type Manifest } from './manifests';
import { MANIFEST_ACCEPT } from './media-types';
import { pullScope, pushScope, type Repository } from './scopes';
import { header, type RegistrySession } from './session';
import type { HttpRequest } from './transport';

/**
 * The manifest `reference` (a tag or a digest) of a repository, exactly as stored, or undefined
 * when the registry says 404. Its bytes are checked against the Docker-Content-Digest the
 * registry sends, and against the digest asked for.
 */
export async function getManifest(session: RegistrySession, repo: Repository, reference: string, scope = pullScope(repo)): Promise<Manifest | undefined> {
  const req: HttpRequest = { method: 'GET', url: session.url(repo, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, maxBytes: MAX_MANIFEST_BYTES };
  const response = await session.send(repo, scope, req);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw await session.failure(repo, req, response);
  const name = `${repo.registry}/${repo.repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  // The answer was 200, but what it holds is not what was asked for.
  const wrong = (reason: string) => session.error(repo.registry, `sent ${reason}`, { request: requestLine(req), status: response.status });
  if (response.truncated) throw wrong(`a manifest for ${name} larger than ${MAX_MANIFEST_BYTES >> 20} MiB`);
  const bytes = response.bytes ?? Buffer.alloc(0);
  const sent = header(response, 'docker-content-digest');
  if (sent !== undefined && !matchesDigest(bytes, sent)) throw wrong(`a manifest for ${name} whose bytes do not match its Docker-Content-Digest ${sent}`);
  if (isDigest(reference) && !matchesDigest(bytes, reference)) throw wrong(`a manifest for ${name} whose bytes have another digest`);
  const mediaType = manifestMediaType(bytes, header(response, 'content-type'));
  if (mediaType === undefined) throw wrong(`something for ${name} that is not a manifest`);
  return { mediaType, digest: digestOf(bytes), bytes };
}

/**
 * The digest of the manifest `reference`, or undefined when there is none: HEAD, and its
 * Docker-Content-Digest; a GET when the registry does not say.
 */
export async function manifestDigest(session: RegistrySession, repo: Repository, reference: string, scope = pullScope(repo)): Promise<string | undefined> {
  const req = headRequest(session, repo, reference);
  const response = await session.send(repo, scope, req);
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw await session.failure(repo, req, response);
  const sent = header(response, 'docker-content-digest');
  if (sent !== undefined && /^sha256:[a-f0-9]{64}$/.test(sent)) return sent;
  return (await getManifest(session, repo, reference, scope))?.digest;
}

/** Whether the manifest `reference` exists: HEAD, 200 or 404, and a RegistryError for anything else. */
export async function manifestExists(session: RegistrySession, repo: Repository, reference: string, scope = pullScope(repo)): Promise<boolean> {
  const req = headRequest(session, repo, reference);
  const response = await session.send(repo, scope, req);
  if (response.status === 200) return true;
  if (response.status === 404) return false;
  throw await session.failure(repo, req, response);
}

/**
 * PUT of the manifest's exact bytes under `reference` (a tag, or its digest), with its media
 * type as Content-Type. Returns the digest of the bytes, which the registry must agree with.
 */
export async function putManifest(
  session: RegistrySession,
  repo: Repository,
  reference: string,
  manifest: { mediaType: string; bytes: Buffer },
  scope = pushScope(repo),
): Promise<string> {
  const digest = digestOf(manifest.bytes);
  if (isDigest(reference) && !matchesDigest(manifest.bytes, reference)) {
    throw session.userError(`cannot put a manifest under ${repo.registry}/${repo.repository}@${reference}: its bytes have the digest ${digest}`);
  }
  const req: HttpRequest = { method: 'PUT', url: session.url(repo, `manifests/${reference}`), headers: { 'content-type': manifest.mediaType }, body: manifest.bytes };
  const response = await session.send(repo, scope, req);
  if (response.status < 200 || response.status > 299) throw await session.failure(repo, req, response);
  const stored = header(response, 'docker-content-digest');
  if (stored !== undefined && isDigest(stored) && !matchesDigest(manifest.bytes, stored)) {
    const reason = `stored the manifest put under ${repo.repository}:${reference} as ${stored}, not as ${digest}`;
    throw session.error(repo.registry, reason, { request: requestLine(req), status: response.status });
  }
  return digest;
}

function headRequest(session: RegistrySession, repo: Repository, reference: string): HttpRequest {
  return { method: 'HEAD', url: session.url(repo, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT } };
}
