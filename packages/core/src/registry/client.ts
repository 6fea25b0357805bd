import { RegistryApi } from './api';
import { RegistryAuth } from './auth';
import { copyImage } from './copy';
import { registryOrigin } from './endpoint';
import { RegistryError, RegistryNetworkError, requestLine } from './errors';
import { createIndex, type IndexSource } from './index-builder';
import type { Manifest } from './manifests';
import { MANIFEST_ACCEPT } from './media-types';
import { formatReference, manifestReference, parseReference, type ImageReference } from './reference';
import { Secrets } from './secrets';
import { NetworkError, Transport, type HttpResponse } from './transport';

/** What a registry says of an image: there, not there, or nothing to be relied on. */
export type Existence = 'present' | 'absent' | 'unknown';

export interface RegistryClientOptions {
  /** Requests in flight at once, across all registries; default 16. */
  concurrency?: number;
  /** Per request attempt, in ms; default 10 000. */
  timeoutMs?: number;
  /** Retries on 408, 429, 5xx and network errors, with exponential backoff; default 3. */
  retries?: number;
  /** The first backoff, doubled at each retry; default 200 ms. */
  retryDelayMs?: number;
  /** The longest Retry-After waited for; default 10 000 ms. */
  maxRetryAfterMs?: number;
  /** Default process.env: DOCKER_CONFIG, HOME, PATH (credential helpers), GHCR_TOKEN, GITHUB_TOKEN, MZBUILD_INSECURE_REGISTRIES. */
  env?: NodeJS.ProcessEnv;
  /** Told at most once per registry when checks against it fail; default: nothing. */
  warn?: (message: string) => void;
  /** Blob transfers (a GET feeding a PUT) at once, across all registries, when copying; default 4. */
  transfers?: number;
}

/**
 * Asks registries whether images exist, many at once. A registry that cannot answer makes its
 * images 'unknown' rather than failing the caller, who can build them instead; the caller hears
 * of it once per registry, not once per image. Only malformed references throw (a UserError).
 */
export class RegistryClient {
  private readonly env: NodeJS.ProcessEnv;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly secrets = new Secrets();
  private readonly auths = new Map<string, RegistryAuth>();
  private readonly warn: (message: string) => void;
  private readonly warned = new Set<string>();
  private registryApi: RegistryApi | undefined;

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.env = options.env ?? process.env;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.transport = new Transport({
      concurrency: options.concurrency ?? 16,
      timeoutMs: this.timeoutMs,
      retries: options.retries ?? 3,
      retryDelayMs: options.retryDelayMs ?? 200,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 10_000,
    });
    this.warn = options.warn ?? (() => undefined);
  }

  /**
   * Checks every reference with `HEAD /v2/<name>/manifests/<tag or digest>`: 200 is 'present',
   * 404 'absent', anything else 'unknown' once retries and authentication are exhausted. The map
   * is keyed by the references as given; equal references after normalisation are asked once.
   */
  async checkExistence(references: string[]): Promise<Map<string, Existence>> {
    // Parse them all before any request: a malformed one is the caller's to fix, and says so.
    const keys = new Map<string, string>();
    const unique = new Map<string, ImageReference>();
    for (const reference of references) {
      const parsed = parseReference(reference);
      const key = formatReference(parsed);
      keys.set(reference, key);
      unique.set(key, parsed);
    }

    const answers = new Map<string, Existence>();
    const failures = new Map<string, string>();
    // One ping per registry and batch: a registry that is down is found so once, not per image.
    const pings = new Map<string, Promise<void>>();
    await Promise.all(
      [...unique].map(async ([key, ref]) => {
        try {
          answers.set(key, await this.check(ref, pings));
        } catch (error) {
          answers.set(key, 'unknown');
          if (!failures.has(ref.registry)) failures.set(ref.registry, summary(error));
        }
      }),
    );

    for (const [registry, reason] of failures) this.warnOnce(registry, `registry ${registry} ${reason}; images will be built locally`);
    return new Map(references.map((reference) => [reference, answers.get(keys.get(reference)!)!]));
  }

  // ---- Publishing: reads that must be answered, and writes -------------------------------------
  // Unlike checkExistence, these fail with a UserError (secrets redacted) when a registry cannot
  // be asked, after retries: a publisher must not take "cannot tell" for an answer.

  /**
   * The manifest `reference` names (a tag or a digest), its exact bytes and their digest, or
   * undefined when the registry has none (404). The bytes are checked against the
   * Docker-Content-Digest the registry sends, and against the digest asked for.
   */
  async getManifest(reference: string): Promise<Manifest | undefined> {
    const ref = parseReference(reference);
    return this.api().getManifest(ref, manifestReference(ref));
  }

  /**
   * PUT of a manifest's exact bytes, with its media type as Content-Type, under the reference's
   * tag (or its digest, which must be that of the bytes): how a tag is made or moved. Returns the
   * digest. Asks bearer registries for push access (`repository:<name>:pull,push`).
   */
  async putManifest(reference: string, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
    const ref = parseReference(reference);
    return this.api().putManifest(ref, ref.tag ?? ref.digest!, manifest);
  }

  /** Whether the tag (or digest) exists, strictly: a UserError when the registry cannot be asked. */
  async tagExists(reference: string): Promise<boolean> {
    const ref = parseReference(reference);
    return this.api().manifestExists(ref, manifestReference(ref));
  }

  /**
   * Copies an image or an index registry to registry, without an engine: blobs the destination
   * lacks are mounted (same registry) or streamed, child manifests put by digest, and the tag put
   * last, so that an interrupted copy leaves no tag. Does nothing when the destination tag already
   * has the source's digest.
   */
  async copyImage(from: string, to: string): Promise<void> {
    return copyImage(this.api(), from, to);
  }

  /**
   * Puts an OCI image index under `target` (a tag) listing each source's image for its platform
   * (from an index source, its entry for the platform). Everything is read before anything is
   * written: a missing source is a UserError naming its platform and reference, and writes
   * nothing. Images from other repositories are copied into the target's first. Returns the
   * index's digest; an index already there with the same bytes is not written again.
   */
  async createIndex(target: string, sources: IndexSource[]): Promise<string> {
    return createIndex(this.api(), target, sources);
  }

  /** Closes idle connections; the client is not to be used afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private async check(ref: ImageReference, pings: Map<string, Promise<void>>): Promise<Existence> {
    const auth = this.authFor(ref.registry);
    let ping = pings.get(ref.registry);
    if (!ping) pings.set(ref.registry, (ping = auth.ensureScheme()));
    await ping;

    const scope = `repository:${ref.repository}:pull`;
    const url = `${registryOrigin(ref.registry, this.env)}/v2/${ref.repository}/manifests/${manifestReference(ref)}`;
    const authorization = await auth.authorization(scope);
    let response = await this.head(ref, url, authorization);
    if (response.status === 401) {
      const retry = await auth.reauthorize(response.headers['www-authenticate'], scope, authorization);
      if (retry !== undefined) response = await this.head(ref, url, retry);
    }
    const fields = { registry: ref.registry, status: response.status };
    switch (response.status) {
      case 200:
        return 'present';
      case 404:
        return 'absent';
      case 401:
      case 403:
        throw new RegistryError(this.secrets, fields, `refused access to ${ref.repository} (${response.status}, ${await auth.describeCredentials()})`);
      default:
        throw new RegistryError(this.secrets, fields, `answered ${response.status} for ${formatReference(ref)}`);
    }
  }

  private async head(ref: ImageReference, url: string, authorization: string | undefined): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: MANIFEST_ACCEPT };
    if (authorization !== undefined) headers['authorization'] = authorization;
    try {
      return await this.transport.send({ method: 'HEAD', url, headers });
    } catch (error) {
      if (error instanceof NetworkError) throw new RegistryNetworkError(this.secrets, { registry: ref.registry, request: requestLine({ method: 'HEAD', url }) }, error.message);
      throw error;
    }
  }

  private api(): RegistryApi {
    this.registryApi ??= new RegistryApi({
      transport: this.transport,
      env: this.env,
      secrets: this.secrets,
      authFor: (registry) => this.authFor(registry),
      transfers: this.options.transfers ?? 4,
    });
    return this.registryApi;
  }

  private authFor(registry: string): RegistryAuth {
    let auth = this.auths.get(registry);
    if (!auth) {
      auth = new RegistryAuth(registry, { transport: this.transport, env: this.env, secrets: this.secrets, timeoutMs: this.timeoutMs });
      this.auths.set(registry, auth);
    }
    return auth;
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(this.secrets.redact(message));
  }
}

/** What one warning says of a registry for all of its images: what went wrong, not with which request. */
function summary(error: unknown): string {
  if (error instanceof RegistryNetworkError) return error.failure;
  if (error instanceof RegistryError) return error.reason;
  return `failed unexpectedly (${(error as Error)?.message ?? error})`;
}
