// Signatures of images in their registry: the `.sig` attachment read with its payloads, verified, and written by appending to it.
import { appendSignature, configDiffIds, parseAttachment, signatureLayer, signatureTag, SIGNATURE_ANNOTATION, SIMPLE_SIGNING } from '../signing/attachment';
import type { PublicKey, SigningKey } from '../signing/keys';
import { buildPayload, mzbuildPayload } from '../signing/payload';
import type { VerifiedCache } from '../signing/verified-cache';
import { signedIdentity, signPayload, verifySignatures, type SignatureLayer, type Verification } from '../signing/verify';
import { getSmallBlob, uploadBlob } from './blob-requests';
import { settled } from './copy';
import { operation } from './errors';
import { getManifest, manifestExists, putManifest } from './manifest-requests';
import { digestOf, OCI_MANIFEST, type Descriptor, type Manifest } from './manifests';
import { formatReference, parseReference, type ImageReference } from './reference';
import { pullScope, pushScope, type Repository } from './scopes';
import type { RegistrySession } from './session';

/** A payload is a few hundred bytes; a layer claiming more is not read. */
const MAX_PAYLOAD_BYTES = 64 << 10;
/** An attachment's config grows by some 80 bytes a signature. */
const MAX_CONFIG_BYTES = 1 << 20;
/** Reads of the attachment before its PUT, when other runs keep appending to it meanwhile. */
const MAX_APPEND_ATTEMPTS = 3;
/** Payloads read per image, of the newest signatures: an image has one a key and tag, and more than this is no one's plan. */
const MAX_SIGNATURES = 32;

/** The signatures stored for one image. */
export interface StoredSignatures {
  /** The attachment, `registry/repository:sha256-<hex>.sig`. */
  reference: string;
  manifest: Manifest;
  /** Every layer; simple-signing ones (the newest MAX_SIGNATURES) with their payloads, read and checked against their digests. */
  layers: SignatureLayer[];
}

export interface SignOptions {
  /** `optional.creator` of the payload; default `mzbuild` (see mzbuildPayload). */
  creator?: string;
  /** `optional.timestamp`, in seconds; default none, so that the payload is one text per image (see mzbuildPayload). */
  timestamp?: number;
}

/** What `signImage` did: appended a signature to the attachment, or found one there that already verifies. */
export interface SignOutcome {
  written: boolean;
  /** The attachment, `registry/repository:sha256-<hex>.sig`. */
  reference: string;
}

type Attachment = { manifest: Manifest; config: Descriptor; layers: SignatureLayer[] } | { manifest: Manifest; invalid: string };

/**
 * The signatures of the image `digest` in `repo`, or undefined when it has none (404). An
 * attachment that is not an OCI image manifest is a UserError, as it is for containers/image.
 */
export async function readSignatures(session: RegistrySession, repo: Repository, digest: string): Promise<StoredSignatures | undefined> {
  const reference = attachmentName(repo, digest);
  return operation(session.secrets, `read the signatures ${reference}`).within(async () => {
    const found = await readAttachment(session, repo, digest, pullScope(repo));
    if (found && 'invalid' in found) throw session.userError(found.invalid);
    return found && { reference, manifest: found.manifest, layers: found.layers };
  });
}

/**
 * Whether the image `digest` of `reference` is signed by one of `keys` for that reference (see
 * signing/verify.ts for the rule): answered by `cache` when it knows, else by one GET of the
 * attachment (and of its payloads, when mzbuild's computed one does not verify: see
 * verifyAttachment), and remembered in `cache` when it is. An attachment of
 * the wrong shape is an answer (not trusted), since anyone who can push can plant one; a
 * registry that cannot be asked is an error.
 */
export async function verifyImage(
  session: RegistrySession,
  reference: string,
  digest: string,
  keys: readonly PublicKey[],
  cache?: VerifiedCache,
): Promise<Verification> {
  const ref = imageReference(session, reference, digest);
  const identity = signedIdentity(ref);
  const cached = keys.find((key) => cache?.has({ digest, key: key.fingerprint, identity }));
  if (cached) return { trusted: true, key: cached.fingerprint, cached: true };
  if (keys.length === 0) return { trusted: false, reason: 'no key is trusted' };
  return operation(session.secrets, `verify the signatures of ${identity}@${digest}`).within(async () => {
    const scope = pullScope(ref);
    const found = await readAttachment(session, ref, digest, scope, { payloads: false });
    if (!found) return { trusted: false, reason: 'it has no signatures' };
    if ('invalid' in found) return { trusted: false, reason: `its signature manifest cannot be read: ${found.invalid}` };
    const verification = await verifyAttachment(session, ref, digest, found.layers, keys, scope);
    if (verification.trusted) cache?.add({ digest, key: verification.key, identity });
    return verification;
  });
}

/**
 * Signs the image `digest` for `reference` (which names its tag) with `key`: the payload and the
 * attachment's new config uploaded, then the attachment put under its tag, appended to what is
 * there as containers/image appends. When a signature there already verifies under `key` for this
 * reference and digest, nothing is written: signing twice is signing once.
 */
export async function signImage(session: RegistrySession, reference: string, digest: string, key: SigningKey, options: SignOptions = {}): Promise<SignOutcome> {
  const ref = imageReference(session, reference, digest);
  const identity = signedIdentity(ref);
  const signing = operation(session.secrets, `sign ${identity}@${digest}`);
  if (ref.tag === undefined) throw signing.fail('a signature names the tag it is for; give the reference with its tag');
  const attachment = attachmentName(ref, digest);
  return signing.within(async () => {
    const scope = pushScope(ref);
    const reading = { exists: manifestExists(session, ref, digest, scope), found: readAttachment(session, ref, digest, scope, { payloads: false }) };
    await settled<unknown>([reading.exists, reading.found]); // both done before a failure of either is told
    const found = await reading.found;
    if (!(await reading.exists)) throw signing.fail(`${ref.registry}/${ref.repository} has no manifest ${digest}`);
    if (found && 'invalid' in found) throw signing.fail(`its signature manifest ${attachment} cannot be appended to: ${found.invalid}`);
    if (found && (await verifyAttachment(session, ref, digest, found.layers, [key.publicKey], scope)).trusted) return { written: false, reference: attachment };

    const { creator, timestamp } = options;
    const payload =
      creator === undefined && timestamp === undefined
        ? mzbuildPayload(identity, digest)
        : buildPayload({ dockerReference: identity, manifestDigest: digest, ...(creator !== undefined ? { creator } : {}), ...(timestamp !== undefined ? { timestamp } : {}) });
    const layer = signatureLayer({ digest: digestOf(payload), size: payload.length }, signPayload(payload, key));
    const payloadUploaded = uploadBlob(session, ref, payload, scope);
    payloadUploaded.catch(() => undefined); // told below, with the config's
    let base = found;
    for (let attempt = 1; ; attempt++) {
      const existing = base && { layers: base.layers.map((l) => l.descriptor), diffIds: await readDiffIds(session, ref, base.config, scope) };
      const next = appendSignature(existing, layer);
      if (!next) return { written: false, reference: attachment };
      await settled([payloadUploaded, uploadBlob(session, ref, next.config, scope)]);
      // Another run may have appended its signature since `base` was read: append to theirs rather
      // than put ours over it. Registries have no conditional PUT, so a window of one GET and one
      // PUT is left (after which either signature still verifies, and the next publish adds the other).
      const now = attempt < MAX_APPEND_ATTEMPTS ? await readAttachment(session, ref, digest, scope, { payloads: false }) : base;
      if (now?.manifest.digest === base?.manifest.digest) {
        await putManifest(session, ref, signatureTag(digest), { mediaType: OCI_MANIFEST, bytes: next.manifest }, scope);
        return { written: true, reference: attachment };
      }
      if (now && 'invalid' in now) throw signing.fail(`its signature manifest ${attachment} cannot be appended to: ${now.invalid}`);
      if (now && (await verifyAttachment(session, ref, digest, now.layers, [key.publicKey], scope)).trusted) return { written: false, reference: attachment };
      base = now;
    }
  });
}

/**
 * The attachment, with the payloads of its newest signatures read at once (or, with `payloads:
 * false`, none read: the caller reads them with readPayloads if it needs them); undefined on 404.
 */
async function readAttachment(session: RegistrySession, repo: Repository, digest: string, scope: string, options: { payloads?: boolean } = {}): Promise<Attachment | undefined> {
  const manifest = await getManifest(session, repo, signatureTag(digest), scope);
  if (!manifest) return undefined;
  let parsed: { config: Descriptor; layers: Descriptor[] };
  try {
    parsed = parseAttachment(manifest);
  } catch (error) {
    return { manifest, invalid: (error as Error).message };
  }
  const layers = parsed.layers.map((descriptor) => ({ descriptor, payload: undefined }));
  return { manifest, config: parsed.config, layers: options.payloads === false ? layers : await readPayloads(session, repo, layers, scope) };
}

/** The layers with the payloads of the newest signatures: one GET a payload, all at once; a payload two layers share is read once. */
async function readPayloads(session: RegistrySession, repo: Repository, layers: readonly SignatureLayer[], scope: string): Promise<SignatureLayer[]> {
  const wanted = layers
    .map((l) => l.descriptor)
    .filter((l) => l.mediaType === SIMPLE_SIGNING && l.annotations?.[SIGNATURE_ANNOTATION] !== undefined && l.size <= MAX_PAYLOAD_BYTES)
    .slice(-MAX_SIGNATURES);
  const digests = [...new Set(wanted.map((l) => l.digest))];
  const read = await settled(digests.map((d) => getSmallBlob(session, repo, d, MAX_PAYLOAD_BYTES, scope)));
  const payloads = new Map(digests.map((d, i) => [d, read[i]]));
  return layers.map(({ descriptor }) => ({ descriptor, payload: wanted.includes(descriptor) ? payloads.get(descriptor.digest) : undefined }));
}

/**
 * verifySignatures over an attachment's layers read without payloads: first mzbuild's own
 * signature of the image, whose payload is known in advance (mzbuildPayload), at no request;
 * only when that does not make it trusted, the payloads read and every signature weighed.
 */
async function verifyAttachment(
  session: RegistrySession,
  ref: ImageReference,
  digest: string,
  layers: readonly SignatureLayer[],
  keys: readonly PublicKey[],
  scope: string,
): Promise<Verification> {
  const image = { reference: ref, digest };
  const known = verifySignatures(withPayload(layers, mzbuildPayload(signedIdentity(ref), digest)), image, keys);
  return known.trusted ? known : verifySignatures(await readPayloads(session, ref, layers, scope), image, keys);
}

/**
 * The layers whose blob is `payload` (its digest and size), with it as their payload: content
 * addressing makes the registry's blob those very bytes, so it need not be fetched.
 */
function withPayload(layers: readonly SignatureLayer[], payload: Buffer): SignatureLayer[] {
  const digest = digestOf(payload);
  return layers.filter((l) => l.descriptor.digest === digest && l.descriptor.size === payload.length).map(({ descriptor }) => ({ descriptor, payload }));
}

/** The diff_ids of an attachment's config; undefined (the layers' digests stand in) when it is missing or unreadable. */
async function readDiffIds(session: RegistrySession, repo: Repository, config: Descriptor, scope: string): Promise<string[] | undefined> {
  if (config.size > MAX_CONFIG_BYTES) return undefined;
  const bytes = await getSmallBlob(session, repo, config.digest, MAX_CONFIG_BYTES, scope);
  return bytes && configDiffIds(bytes);
}

/** The reference parsed, with the digest checked: a sha256 one, and the reference's own if it has one. */
function imageReference(session: RegistrySession, reference: string, digest: string): ImageReference {
  const ref = parseReference(reference);
  try {
    signatureTag(digest);
  } catch (error) {
    throw session.userError(`cannot check the signatures of ${reference}: ${(error as Error).message}`);
  }
  if (ref.digest !== undefined && ref.digest !== digest) throw session.userError(`${reference} names another digest than ${digest}`);
  return ref;
}

function attachmentName(repo: Repository, digest: string): string {
  return formatReference({ registry: repo.registry, repository: repo.repository, tag: signatureTag(digest) });
}
