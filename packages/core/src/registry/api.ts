import type { Readable } from 'node:stream';
import { UserError } from '../errors';
import { Semaphore } from '../semaphore';
import type { RegistryAuth } from './auth';
import { registryOrigin } from './endpoint';
import { parseErrorBody, RegistryError, RegistryNetworkError, requestLine, type RegistryErrorFields } from './errors';
import { digestOf, isDigest, manifestMediaType, matchesDigest, MAX_MANIFEST_BYTES, type Descriptor, type Manifest } from './manifests';
import { MANIFEST_ACCEPT } from './media-types';
import type { Secrets } from './secrets';
import { isRetryable, NetworkError, type HttpRequest, type HttpResponse, type StreamRequest, type StreamResponse, type Transport } from './transport';

/** A repository of a registry: `{ registry: 'ghcr.io', repository: 'acme/web' }`. */
export interface Repository {
  registry: string;
  repository: string;
}

export interface ApiContext {
  transport: Transport;
  env: NodeJS.ProcessEnv;
  secrets: Secrets;
  /** The one RegistryAuth of a registry, shared with the client's other requests (and their tokens). */
  authFor(registry: string): RegistryAuth;
  /** Blob transfers at once, each a GET feeding a PUT. */
  transfers: number;
}

/** The token scope to read a repository. */
export function pullScope(repo: Repository): string {
  return `repository:${repo.repository}:pull`;
}

/**
 * The token scope to write a repository, and to read others along with it (the sources of
 * cross-repository mounts, which a registry only performs with pull access to them).
 */
export function pushScope(repo: Repository, ...reading: Repository[]): string {
  const others = reading.filter((r) => r.registry === repo.registry && r.repository !== repo.repository).map(pullScope);
  return [`repository:${repo.repository}:pull,push`, ...new Set(others)].join(' ');
}

const MAX_REDIRECTS = 5;

/**
 * The requests of the OCI distribution API that publishing makes, authorised per repository
 * scope with the client's RegistryAuth. Everything that goes wrong ends as a RegistryError (a
 * UserError) whose message names the registry and the request and holds no secret; answers the
 * caller has a use for (404 of a manifest or a blob) are answers.
 */
export class RegistryApi {
  readonly secrets: Secrets;
  private readonly transfers: Semaphore;

  constructor(private readonly ctx: ApiContext) {
    this.secrets = ctx.secrets;
    this.transfers = new Semaphore(ctx.transfers);
  }

  /** `<origin>/v2/<repository>/<path>`. */
  url(repo: Repository, path: string): string {
    return `${registryOrigin(repo.registry, this.ctx.env)}/v2/${repo.repository}/${path}`;
  }

  /** A RegistryError, `registry <host> <reason>`, with every secret redacted. */
  error(registry: string, reason: string, fields: Omit<RegistryErrorFields, 'registry'> = {}): RegistryError {
    return new RegistryError(this.ctx.secrets, { registry, ...fields }, reason);
  }

  /** A UserError with any message, redacted. */
  userError(message: string): UserError {
    return new UserError(this.ctx.secrets.redact(message));
  }

  // ---- Manifests -------------------------------------------------------------------------------

  /**
   * The manifest `reference` (a tag or a digest) of a repository, exactly as stored, or undefined
   * when the registry says 404. Its bytes are checked against the Docker-Content-Digest the
   * registry sends, and against the digest asked for.
   */
  async getManifest(repo: Repository, reference: string, scope = pullScope(repo)): Promise<Manifest | undefined> {
    const req: HttpRequest = { method: 'GET', url: this.url(repo, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT }, maxBytes: MAX_MANIFEST_BYTES };
    const response = await this.send(repo, scope, req);
    if (response.status === 404) return undefined;
    const name = `${repo.registry}/${repo.repository}${isDigest(reference) ? '@' : ':'}${reference}`;
    if (response.status !== 200) throw await this.failure(repo, req, response);
    if (response.truncated) throw this.error(repo.registry, `sent a manifest for ${name} larger than ${MAX_MANIFEST_BYTES >> 20} MiB`);
    const bytes = response.bytes ?? Buffer.alloc(0);
    const sent = header(response, 'docker-content-digest');
    if (sent !== undefined && !matchesDigest(bytes, sent)) {
      throw this.error(repo.registry, `sent a manifest for ${name} whose bytes do not match its Docker-Content-Digest ${sent}`);
    }
    if (isDigest(reference) && !matchesDigest(bytes, reference)) {
      throw this.error(repo.registry, `sent a manifest for ${name} whose bytes have another digest`);
    }
    const mediaType = manifestMediaType(bytes, header(response, 'content-type'));
    if (mediaType === undefined) throw this.error(repo.registry, `sent something for ${name} that is not a manifest`);
    return { mediaType, digest: digestOf(bytes), bytes };
  }

  /**
   * The digest of the manifest `reference`, or undefined when there is none: HEAD, and its
   * Docker-Content-Digest; a GET when the registry does not say.
   */
  async manifestDigest(repo: Repository, reference: string, scope = pullScope(repo)): Promise<string | undefined> {
    const req: HttpRequest = { method: 'HEAD', url: this.url(repo, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT } };
    const response = await this.send(repo, scope, req);
    if (response.status === 404) return undefined;
    if (response.status !== 200) throw await this.failure(repo, req, response);
    const sent = header(response, 'docker-content-digest');
    if (sent !== undefined && /^sha256:[a-f0-9]{64}$/.test(sent)) return sent;
    return (await this.getManifest(repo, reference, scope))?.digest;
  }

  /** Whether the manifest `reference` exists: HEAD, 200 or 404, and a UserError for anything else. */
  async manifestExists(repo: Repository, reference: string, scope = pullScope(repo)): Promise<boolean> {
    const req: HttpRequest = { method: 'HEAD', url: this.url(repo, `manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT } };
    const response = await this.send(repo, scope, req);
    if (response.status === 200) return true;
    if (response.status === 404) return false;
    throw await this.failure(repo, req, response);
  }

  /**
   * PUT of the manifest's exact bytes under `reference` (a tag, or its digest), with its media
   * type as Content-Type. Returns the digest of the bytes, which the registry must agree with.
   */
  async putManifest(repo: Repository, reference: string, manifest: { mediaType: string; bytes: Buffer }, scope = pushScope(repo)): Promise<string> {
    const digest = digestOf(manifest.bytes);
    if (isDigest(reference) && !matchesDigest(manifest.bytes, reference)) {
      throw this.userError(`cannot put a manifest under ${repo.registry}/${repo.repository}@${reference}: its bytes have the digest ${digest}`);
    }
    const req: HttpRequest = {
      method: 'PUT',
      url: this.url(repo, `manifests/${reference}`),
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    };
    const response = await this.send(repo, scope, req);
    if (response.status < 200 || response.status > 299) throw await this.failure(repo, req, response);
    const stored = header(response, 'docker-content-digest');
    if (stored !== undefined && isDigest(stored) && !matchesDigest(manifest.bytes, stored)) {
      throw this.error(repo.registry, `stored the manifest put under ${repo.repository}:${reference} as ${stored}, not as ${digest}`);
    }
    return digest;
  }

  // ---- Blobs -----------------------------------------------------------------------------------

  /** Whether a repository holds a blob: HEAD, whose redirect (to a CDN) also means yes. */
  async blobExists(repo: Repository, digest: string, scope = pullScope(repo)): Promise<boolean> {
    const req: HttpRequest = { method: 'HEAD', url: this.url(repo, `blobs/${digest}`) };
    const response = await this.send(repo, scope, req, { followRedirects: false });
    if (response.status === 200 || isRedirect(response.status)) return true;
    if (response.status === 404) return false;
    throw await this.failure(repo, req, response);
  }

  /** A small blob (an image config), whole; undefined when it is missing or larger than `maxBytes`. */
  async getSmallBlob(repo: Repository, digest: string, maxBytes: number, scope = pullScope(repo)): Promise<Buffer | undefined> {
    const req: HttpRequest = { method: 'GET', url: this.url(repo, `blobs/${digest}`), maxBytes };
    const response = await this.send(repo, scope, req);
    if (response.status === 404 || response.truncated) return undefined;
    if (response.status !== 200) throw await this.failure(repo, req, response);
    const bytes = response.bytes ?? Buffer.alloc(0);
    if (!matchesDigest(bytes, digest)) throw this.error(repo.registry, `sent a blob for ${digest} whose bytes have another digest`);
    return bytes;
  }

  /**
   * Asks the registry to mount a blob of `from` (same registry) into `to`: true when it did
   * (201); else the upload it opened instead (202, to be used for a copy), or undefined when it
   * would do neither (no access to `from`, a registry without mounts), for a plain upload.
   */
  async mountBlob(to: Repository, from: Repository, digest: string, scope = pushScope(to, from)): Promise<true | string | undefined> {
    const query = new URLSearchParams({ mount: digest, from: from.repository });
    const req: HttpRequest = { method: 'POST', url: `${this.url(to, 'blobs/uploads/')}?${query}`, headers: { 'content-length': '0' } };
    const response = await this.send(to, scope, req);
    if (response.status === 201) return true;
    const location = header(response, 'location');
    if (response.status === 202 && location !== undefined) return new URL(location, req.url).toString();
    if (isRetryable(response.status)) throw await this.failure(to, req, response);
    return undefined;
  }

  /** Opens an upload: POST, and the Location (made absolute) to PUT the blob to. */
  async startUpload(repo: Repository, scope = pushScope(repo)): Promise<string> {
    const req: HttpRequest = { method: 'POST', url: this.url(repo, 'blobs/uploads/'), headers: { 'content-length': '0' } };
    const response = await this.send(repo, scope, req);
    const location = header(response, 'location');
    if (response.status !== 202 || location === undefined) throw await this.failure(repo, req, response);
    return new URL(location, req.url).toString();
  }

  /**
   * Copies a blob from one repository to another, possibly of another registry, as a stream: a
   * GET from the source feeding a monolithic PUT of the upload (opened by a POST, or the one
   * given). The bytes pass through memory a chunk at a time. A transfer that breaks off, or gets
   * a 5xx, starts over from a new upload, `retries` times; the registry checks the digest.
   */
  async transferBlob(from: Repository, fromScope: string, to: Repository, toScope: string, blob: Descriptor, upload?: string): Promise<void> {
    const { retries, retryDelayMs } = this.ctx.transport.options;
    for (let attempt = 0; ; attempt++) {
      const failed = await this.transfers.run(() => this.transferOnce(from, fromScope, to, toScope, blob, upload));
      upload = undefined;
      if (failed === undefined) return;
      if (!failed.retry || attempt >= retries) throw failed.error;
      await sleep(retryDelayMs * 2 ** attempt);
    }
  }

  private async transferOnce(
    from: Repository,
    fromScope: string,
    to: Repository,
    toScope: string,
    blob: Descriptor,
    upload: string | undefined,
  ): Promise<{ error: RegistryError; retry: boolean } | undefined> {
    const location = upload ?? (await this.startUpload(to, toScope));
    const getReq: StreamRequest = { method: 'GET', url: this.url(from, `blobs/${blob.digest}`) };
    let source: StreamResponse;
    try {
      source = await this.stream(from, fromScope, getReq);
    } catch (error) {
      if (!(error instanceof NetworkError)) throw error;
      return { error: new RegistryNetworkError(this.ctx.secrets, { registry: from.registry, request: requestLine(getReq) }, error.message), retry: true };
    }
    if (source.status !== 200) {
      const response = { status: source.status, headers: source.headers, body: await readSmall(source.body) };
      if (source.status === 404) {
        const reason = `does not have the blob ${blob.digest} that ${from.repository} refers to`;
        return { error: this.error(from.registry, reason, { request: requestLine(getReq), status: 404, codes: parseErrorBody(response.body).codes }), retry: false };
      }
      return { error: await this.failure(from, getReq, response), retry: isRetryable(source.status) };
    }

    const url = new URL(location);
    url.searchParams.set('digest', blob.digest);
    const putReq: StreamRequest = {
      method: 'PUT',
      url: url.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: source.body,
    };
    let put: StreamResponse;
    try {
      put = await this.stream(to, toScope, putReq);
    } catch (error) {
      // Which side broke off: the source's answer, or the upload.
      const sourceBroke = source.body.errored !== null && source.body.errored !== undefined;
      discard(source.body);
      if (!(error instanceof NetworkError)) throw error;
      const request = requestLine(sourceBroke ? getReq : putReq);
      const what = sourceBroke
        ? `sending the blob ${blob.digest} (GET ${request.path}), to copy it to ${to.registry}/${to.repository}`
        : `the upload of the blob ${blob.digest} from ${from.registry}/${from.repository} (PUT ${request.path})`;
      const registry = sourceBroke ? from.registry : to.registry;
      return { error: new RegistryNetworkError(this.ctx.secrets, { registry, request }, error.message, `broke off ${what}: ${error.message}`), retry: true };
    }
    const response = { status: put.status, headers: put.headers, body: await readSmall(put.body) };
    discard(source.body); // read to its end by now, unless the registry answered early
    if (put.status >= 200 && put.status <= 299) return undefined;
    return { error: await this.failure(to, putReq, response), retry: isRetryable(put.status) };
  }

  // ---- Requests --------------------------------------------------------------------------------

  /**
   * A request of `repo`'s API with its Authorization for `scope`: the registry's scheme learned
   * first (one ping per registry), a 401 answered once with fresh credentials, the redirects of
   * GET and HEAD followed, with credentials only to the registry's own origin. Throws a
   * UserError when there is no answer after the transport's retries; any answer is returned.
   */
  async send(repo: Repository, scope: string, req: HttpRequest, options: { followRedirects?: boolean } = {}): Promise<HttpResponse> {
    const auth = this.ctx.authFor(repo.registry);
    const origin = registryOrigin(repo.registry, this.ctx.env);
    try {
      await auth.ensureScheme();
      const own = sameOrigin(req.url, origin);
      const authorization = own ? await auth.authorization(scope) : undefined;
      let response = await this.ctx.transport.send(withAuthorization(req, authorization));
      if (response.status === 401 && own) {
        const retry = await auth.reauthorize(response.headers['www-authenticate'], scope, authorization);
        if (retry !== undefined) response = await this.ctx.transport.send(withAuthorization(req, retry));
      }
      if (options.followRedirects === false || (req.method !== 'GET' && req.method !== 'HEAD')) return response;
      let url = req.url;
      for (let hops = 0; isRedirect(response.status) && hops < MAX_REDIRECTS; hops++) {
        const location = header(response, 'location');
        if (location === undefined) break;
        url = new URL(location, url).toString();
        const again = sameOrigin(url, origin) ? await auth.authorization(scope) : undefined;
        response = await this.ctx.transport.send(withAuthorization({ ...req, url }, again));
      }
      return response;
    } catch (error) {
      // Failures to authorise are RegistryErrors already.
      if (error instanceof NetworkError) throw new RegistryNetworkError(this.ctx.secrets, { registry: repo.registry, request: requestLine(req) }, error.message);
      throw error;
    }
  }

  /**
   * A streamed request (see Transport.stream), authorised as `send` does; a GET follows redirects
   * and answers a 401 once with fresh credentials (a PUT's body cannot be sent twice: its caller
   * starts over). Throws NetworkError when there is no answer, a RegistryError when authorisation fails.
   */
  async stream(repo: Repository, scope: string, req: StreamRequest): Promise<StreamResponse> {
    const auth = this.ctx.authFor(repo.registry);
    const origin = registryOrigin(repo.registry, this.ctx.env);
    const authorize = async (url: string) => {
      await auth.ensureScheme();
      return sameOrigin(url, origin) ? await auth.authorization(scope) : undefined;
    };
    let url = req.url;
    let authorization = await authorize(url);
    let reauthorized = false;
    for (let hops = 0; ; ) {
      const response = await this.ctx.transport.stream({ ...req, url, headers: { ...req.headers, ...(authorization ? { authorization } : {}) } });
      if (req.method !== 'GET') return response;
      if (response.status === 401 && !reauthorized && sameOrigin(url, origin)) {
        reauthorized = true;
        let retry: string | undefined;
        try {
          retry = await auth.reauthorize(response.headers['www-authenticate'], scope, authorization);
        } catch (error) {
          discard(response.body);
          throw error;
        }
        if (retry === undefined) return response;
        discard(response.body);
        authorization = retry;
        continue;
      }
      const location = header(response, 'location');
      if (!isRedirect(response.status) || location === undefined || hops++ >= MAX_REDIRECTS) return response;
      discard(response.body);
      url = new URL(location, url).toString();
      authorization = await authorize(url);
    }
  }

  /**
   * The RegistryError for an answer that is not the one wanted: refused access (naming where the
   * credentials came from, never them), or the status and the registry's own error codes.
   */
  async failure(repo: Repository, req: { method: string; url: string }, response: HttpResponse): Promise<RegistryError> {
    const request = requestLine(req);
    // Redacted before it is cut: a secret cut in half would no longer be found.
    const { codes, detail } = parseErrorBody(this.ctx.secrets.redact(response.body));
    const fields = { request, status: response.status, codes };
    if (response.status === 401 || response.status === 403) {
      const access = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
      const credentials = await this.ctx.authFor(repo.registry).describeCredentials();
      return this.error(repo.registry, `refused ${access} access to ${repo.repository} (${response.status} to ${request.method} ${request.path}, ${credentials})`, fields);
    }
    return this.error(repo.registry, `answered ${response.status} to ${request.method} ${request.path}${detail}`, fields);
  }
}

function withAuthorization(req: HttpRequest, authorization: string | undefined): HttpRequest {
  return authorization === undefined ? req : { ...req, headers: { ...req.headers, authorization } };
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function header(response: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A small body (an error), read whole up to 64 KiB; the rest is thrown away. */
async function readSmall(body: Readable): Promise<string> {
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
function discard(body: Readable): void {
  body.on('error', () => undefined);
  if (!body.destroyed) body.destroy();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
