// Artifacts in a registry, the requests: one found under its tag (its shape checked, its signature verified) and one written (config, signature, the tag last).
import type { PublicKey, SigningKey } from '../signing/keys';
import type { VerifiedCache } from '../signing/verified-cache';
import { blobExists, uploadBlob } from './blob-requests';
import { artifactLayer, EMPTY_CONFIG, type ArtifactKind } from './artifact-format';
import { getManifest, putManifest } from './manifest-requests';
import { digestOf, type Descriptor } from './manifests';
import { parseReference } from './reference';
import { pushScope } from './scopes';
import type { RegistrySession } from './session';
import { signImage, verifyImage } from './signatures';

/** An artifact looked for under a tag: found (its one layer, the manifest's digest), or not, and why. */
export type FoundArtifact =
  | { found: true; layer: Descriptor; digest: string }
  | { found: false; why: 'absent' }
  | { found: false; why: 'invalid' | 'untrusted'; reason: string };

/**
 * The artifact of `kind` under `reference`'s tag: its manifest read, its shape checked, and, with
 * trusted keys, its signature for the tag verified (a tag is writable by anyone with push access).
 */
export async function findArtifact(
  session: RegistrySession,
  reference: string,
  kind: ArtifactKind,
  options: { maxBytes: number; trustedKeys?: readonly PublicKey[]; cache?: VerifiedCache },
): Promise<FoundArtifact> {
  const ref = parseReference(reference);
  const manifest = await getManifest(session, ref, ref.tag ?? ref.digest!);
  if (!manifest) return { found: false, why: 'absent' };
  const layer = artifactLayer(manifest.bytes, kind, options.maxBytes);
  if (typeof layer === 'string') return { found: false, why: 'invalid', reason: layer };
  const keys = options.trustedKeys ?? [];
  if (keys.length > 0) {
    const verification = await verifyImage(session, reference, manifest.digest, keys, options.cache);
    if (!verification.trusted) return { found: false, why: 'untrusted', reason: verification.reason };
  }
  return { found: true, layer, digest: manifest.digest };
}

/**
 * Writes an artifact manifest under `reference`'s tag once its layer is in the repository: the
 * empty config uploaded when missing, and with `signingKey` the manifest put by its digest and
 * signed first, so that no reader finds the tag unsigned; the tag is written last. Returns the
 * manifest's digest.
 */
export async function writeArtifact(
  session: RegistrySession,
  reference: string,
  manifest: { mediaType: string; bytes: Buffer },
  signingKey?: SigningKey,
): Promise<string> {
  const ref = parseReference(reference);
  const scope = pushScope(ref);
  if (!(await blobExists(session, ref, digestOf(EMPTY_CONFIG), scope))) await uploadBlob(session, ref, EMPTY_CONFIG, scope);
  if (signingKey) {
    const digest = await putManifest(session, ref, digestOf(manifest.bytes), manifest, scope);
    await signImage(session, reference, digest, signingKey);
  }
  return putManifest(session, ref, ref.tag!, manifest, scope);
}
