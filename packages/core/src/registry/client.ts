// The registry client the rest of mzbuild uses: the existence check, the reads and writes of publishing, and images' signatures.
import type { PublicKey, SigningKey } from '../signing/keys';
import type { VerifiedCache } from '../signing/verified-cache';
import type { Verification } from '../signing/verify';
import type { Readable } from 'node:stream';
import { findArtifact, writeArtifact, type FoundArtifact } from './artifacts';
import type { ArtifactKind } from './artifact-format';
import { blobExists, getSmallBlob, uploadBlob } from './blob-requests';
import { readBlobStream, uploadBlobStream, type BlobStream } from './blob-stream';
import { BlobTransfers } from './blob-transfer';
import { registryTls, untrustedCertificateHint } from './certs';
import { checkExistence, checkPresence, type Existence, type Presence } from './check';
import { copyImage, type CopyContext } from './copy';
import { createIndex, type IndexSource } from './index-builder';
import { getManifest, manifestExists, putManifest } from './manifest-requests';
import { digestOf, type Manifest } from './manifests';
import { manifestReference, parseReference } from './reference';
import { proxyCredentials, proxySettings } from './proxy';
import { Secrets } from './secrets';
import { RegistrySession } from './session';
import { readSignatures, signImage, verifyImage, type SignOptions, type SignOutcome, type StoredSignatures } from './signatures';
import { Transport } from './transport';

export type { Existence, Presence } from './check';
export type { FoundArtifact } from './artifacts';
export { UploadSourceError, type BlobStream, type SourceProblem } from './blob-stream';
export type { SignOptions, SignOutcome, StoredSignatures } from './signatures';

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
  /** Default process.env: DOCKER_CONFIG, HOME, PATH (credential helpers), GHCR_TOKEN, GITHUB_TOKEN, MZBUILD_INSECURE_REGISTRIES, MZBUILD_CERTS_DIR, HTTP(S)_PROXY, NO_PROXY. */
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
 * Publishing's reads and writes, unlike the check, fail with a UserError (secrets redacted; a
 * RegistryError where a registry said why) when a registry cannot be asked, after retries: a
 * publisher must not take "cannot tell" for an answer.
 */
export class RegistryClient {
  private readonly transport: Transport;
  private readonly session: RegistrySession;
  private readonly copying: CopyContext;
  private readonly warn: (message: string) => void;
  private readonly warned = new Set<string>();

  constructor(options: RegistryClientOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const env = options.env ?? process.env;
    const proxy = proxySettings(env);
    this.transport = new Transport({
      concurrency: options.concurrency ?? 16,
      timeoutMs,
      retries: options.retries ?? 3,
      retryDelayMs: options.retryDelayMs ?? 200,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 10_000,
      tls: { options: (host) => registryTls(host, env), untrustedHint: (host) => untrustedCertificateHint(host, env) },
      ...(proxy ? { proxy } : {}),
    });
    const secrets = new Secrets();
    // A proxy's URL may hold its credentials: no message may show them.
    if (proxy) secrets.add(...proxyCredentials(proxy));
    this.session = new RegistrySession({ transport: this.transport, env, secrets, timeoutMs });
    const { retries, retryDelayMs } = this.transport.options;
    this.copying = { session: this.session, blobs: new BlobTransfers(this.session, { transfers: options.transfers ?? 4, retries, retryDelayMs }) };
    this.warn = options.warn ?? (() => undefined);
  }

  /**
   * Checks every reference with `HEAD /v2/<name>/manifests/<tag or digest>`: 200 is 'present',
   * 404 'absent', anything else 'unknown' once retries and authentication are exhausted. The map
   * is keyed by the references as given; equal references after normalisation are asked once.
   */
  checkExistence(references: string[]): Promise<Map<string, Existence>> {
    return checkExistence(this.session, references, (registry, message) => this.warnOnce(registry, message));
  }

  /**
   * The same check, with each present image's digest from its HEAD's Docker-Content-Digest (no
   * further request): what verifying a signature, or pulling by digest, needs. `onPresent` hears
   * of each present image as soon as its HEAD answers.
   */
  checkPresence(references: string[], onPresent?: (reference: string, presence: Presence) => void): Promise<Map<string, Presence>> {
    return checkPresence(this.session, references, (registry, message) => this.warnOnce(registry, message), onPresent);
  }

  /**
   * The manifest `reference` names (a tag or a digest), its exact bytes and their digest, or
   * undefined when the registry has none (404). The bytes are checked against the
   * Docker-Content-Digest the registry sends, and against the digest asked for.
   */
  async getManifest(reference: string): Promise<Manifest | undefined> {
    const ref = parseReference(reference);
    return getManifest(this.session, ref, manifestReference(ref));
  }

  /**
   * PUT of a manifest's exact bytes, with its media type as Content-Type, under the reference's
   * tag (or its digest, which must be that of the bytes): how a tag is made or moved. Returns the
   * digest. Asks bearer registries for push access (`repository:<name>:pull,push`).
   */
  async putManifest(reference: string, manifest: { mediaType: string; bytes: Buffer }): Promise<string> {
    const ref = parseReference(reference);
    return putManifest(this.session, ref, ref.tag ?? ref.digest!, manifest);
  }

  /** Whether the tag (or digest) exists, strictly: a UserError when the registry cannot be asked. */
  async tagExists(reference: string): Promise<boolean> {
    const ref = parseReference(reference);
    return manifestExists(this.session, ref, manifestReference(ref));
  }

  /**
   * Copies an image or an index registry to registry, without an engine: blobs the destination
   * lacks are mounted (same registry) or streamed, child manifests put by digest, and the tag put
   * last, so that an interrupted copy leaves no tag. Does nothing when the destination tag already
   * has the source's digest.
   */
  async copyImage(from: string, to: string): Promise<void> {
    return copyImage(this.copying, from, to);
  }

  /**
   * Puts an OCI image index under `target` (a tag) listing each source's image for its platform
   * (from an index source, its entry for the platform). Everything is read before anything is
   * written: a missing source is a UserError naming its platform and reference, and writes
   * nothing. Images from other repositories are copied into the target's first. Returns the
   * index's digest; an index already there with the same bytes is not written again.
   */
  async createIndex(target: string, sources: IndexSource[]): Promise<string> {
    return createIndex(this.copying, target, sources);
  }

  /**
   * The signatures stored for the image `digest` (default: the reference's own digest) in the
   * reference's repository: its cosign attachment `sha256-<hex>.sig`, each signature's payload
   * read and checked against its digest; undefined when there is none.
   */
  async signatures(reference: string, digest?: string): Promise<StoredSignatures | undefined> {
    const ref = parseReference(reference);
    const wanted = digest ?? ref.digest;
    if (wanted === undefined) throw this.session.userError(`give the digest of the image ${reference} whose signatures to read`);
    return readSignatures(this.session, ref, wanted);
  }

  /**
   * Signs the image `digest` for `reference` (with its tag: the signature names it) with `key`, in
   * cosign's format, appending to the signatures there. Writes nothing when a signature by `key`
   * for this reference and digest is there already.
   */
  sign(reference: string, digest: string, key: SigningKey, options?: SignOptions): Promise<SignOutcome> {
    return signImage(this.session, reference, digest, key, options);
  }

  /**
   * Whether the image `digest` is signed for `reference` by one of `keys`: for a tag, a signature
   * naming that tag; for a reference by digest alone, any tag of its repository. One GET of its
   * attachment and of its payloads, unless `cache` knows the answer already; a positive answer is
   * added to `cache` (the caller saves it). Calls for many images may run at once.
   */
  verify(reference: string, digest: string, keys: readonly PublicKey[], options: { cache?: VerifiedCache } = {}): Promise<Verification> {
    return verifyImage(this.session, reference, digest, keys, options.cache);
  }

  /**
   * A blob of `repository` (`registry/path`) as a stream, or undefined when it has none. The
   * caller checks its digest: the bytes are handed on as they come.
   */
  async readBlob(repository: string, digest: string): Promise<BlobStream | undefined> {
    return readBlobStream(this.session, parseReference(repository), digest);
  }

  /**
   * Uploads `source` as one blob of `repository` without holding it in memory, the registry
   * checking the digest (see uploadBlobStream). An UploadSourceError when the stream is to blame
   * (too large, broken off, short), a RegistryError when the registry is.
   */
  async uploadBlobStream(repository: string, source: Readable, options: { size?: number; maxBytes: number }): Promise<{ digest: string; size: number }> {
    return uploadBlobStream(this.session, parseReference(repository), source, options);
  }

  /** Uploads a small blob held in memory (a config) unless the repository has it; returns its digest. */
  async ensureSmallBlob(repository: string, bytes: Buffer): Promise<string> {
    const repo = parseReference(repository);
    const digest = digestOf(bytes);
    if (await blobExists(this.session, repo, digest)) return digest;
    return uploadBlob(this.session, repo, bytes);
  }

  /** A small blob of `repository` whole, its digest checked; undefined when it is missing or larger than `maxBytes`. */
  async readSmallBlob(repository: string, digest: string, maxBytes: number): Promise<Buffer | undefined> {
    return getSmallBlob(this.session, parseReference(repository), digest, maxBytes);
  }

  /**
   * The artifact of `kind` under `reference`'s tag (see findArtifact): its one layer and its
   * manifest's digest, or why there is none to read: absent, not of that shape, or (with trusted
   * keys) not signed by one of them for the tag.
   */
  findArtifact(reference: string, kind: ArtifactKind, options: { maxBytes: number; trustedKeys?: readonly PublicKey[]; cache?: VerifiedCache }): Promise<FoundArtifact> {
    return findArtifact(this.session, reference, kind, options);
  }

  /**
   * Writes an artifact manifest under `reference`'s tag, its layer already uploaded: the empty
   * config, with `signingKey` the signature (the manifest put by digest first), the tag last.
   */
  writeArtifact(reference: string, manifest: { mediaType: string; bytes: Buffer }, signingKey?: SigningKey): Promise<string> {
    return writeArtifact(this.session, reference, manifest, signingKey);
  }

  /** Closes idle connections; the client is not to be used afterwards. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(this.session.secrets.redact(message));
  }
}
