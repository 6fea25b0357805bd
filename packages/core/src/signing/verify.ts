// Making a signature, and deciding whether an image's signatures make it trusted: by a trusted key, over a payload naming the image's digest and its reference.
import { sign, verify } from 'node:crypto';
import { matchesDigest, type Descriptor } from '../registry/manifests';
import { parseReference, type ImageReference } from '../registry/reference';
import { SIGNATURE_ANNOTATION, SIMPLE_SIGNING } from './attachment';
import type { PublicKey, SigningKey } from './keys';
import { parsePayload, type SignaturePayload } from './payload';
import { decodeBase64 } from './pem';

/** The signature of a payload as cosign stores it: ECDSA over its SHA-256, ASN.1 DER, standard base64. */
export function signPayload(payload: Buffer, key: SigningKey): string {
  return sign('sha256', payload, { key: key.privateKey, dsaEncoding: 'der' }).toString('base64');
}

/** Whether `signature` (base64 as stored, strictly: one text per signature) is `key`'s over `payload`. */
export function verifyPayload(payload: Buffer, signature: string, key: PublicKey): boolean {
  const der = decodeBase64(signature);
  if (der === undefined || der.length === 0) return false;
  try {
    return verify('sha256', payload, { key: key.key, dsaEncoding: 'der' }, der);
  } catch {
    return false; // a DER that does not parse is no signature
  }
}

/** One layer of an attachment, with its blob when it was read. */
export interface SignatureLayer {
  descriptor: Descriptor;
  /** The payload, when it could be read; checked here against the descriptor's digest and size all the same. */
  payload: Buffer | undefined;
}

/** The answer for one image: trusted, by which key; or not, and why (a clause: `it has no signatures`). */
export type Verification = { trusted: true; key: string; cached: boolean } | { trusted: false; reason: string };

/**
 * Whether an image is trusted: some layer is a simple-signing layer whose payload has the layer's
 * digest and size, whose signature verifies under one of `keys`, and whose payload (read strictly,
 * after the signature verified) names `image.digest` and an identity that `identityMatches`
 * `image.reference`. Otherwise the reason of the layer that came closest.
 */
export function verifySignatures(layers: readonly SignatureLayer[], image: { reference: ImageReference; digest: string }, keys: readonly PublicKey[]): Verification {
  let closest = { rank: -1, reason: 'it has no signatures' };
  const note = (rank: number, reason: string) => {
    if (rank > closest.rank) closest = { rank, reason };
  };
  let signatures = 0;
  for (const { descriptor, payload } of layers) {
    if (descriptor.mediaType !== SIMPLE_SIGNING) continue;
    signatures++;
    const signature = descriptor.annotations?.[SIGNATURE_ANNOTATION];
    if (signature === undefined || payload === undefined || payload.length !== descriptor.size || !matchesDigest(payload, descriptor.digest)) {
      note(0, 'none of its signatures can be read (a layer without its signature annotation, or without its payload)');
      continue;
    }
    const key = keys.find((k) => verifyPayload(payload, signature, k));
    if (!key) {
      note(1, `none of its signatures is by a trusted key`);
      continue;
    }
    let signed: SignaturePayload;
    try {
      signed = parsePayload(payload);
    } catch (error) {
      note(2, `its signature by a trusted key has a payload that is not a cosign payload: ${(error as Error).message}`);
      continue;
    }
    if (signed.manifestDigest !== image.digest) {
      note(3, `its signature by a trusted key is for another image, ${signed.manifestDigest}`);
      continue;
    }
    if (!identityMatches(image.reference, signed.dockerReference)) {
      note(4, `its signature by a trusted key names ${JSON.stringify(signed.dockerReference)}, not ${signedIdentity(image.reference)}`);
      continue;
    }
    return { trusted: true, key: key.fingerprint, cached: false };
  }
  return { trusted: false, reason: closest.reason };
}

/**
 * The identity rule, containers/image's `matchRepoDigestOrExact` (its default for signed images):
 * for a reference with a tag, the signature must name that very reference, registry, repository
 * and tag, after normalisation (`busybox:1` is `docker.io/library/busybox:1`); for a reference by
 * digest alone, the same repository, any tag. The tag counts because for mzbuild it is the
 * fingerprint: every tag of an image shares one `.sig`, so with the repository alone a signed
 * image of one fingerprint, put under another fingerprint's tag, would pass for that build. A
 * signed name without a tag or digest matches nothing, as in containers/image.
 */
export function identityMatches(reference: ImageReference, signed: string): boolean {
  let named: ImageReference;
  try {
    named = parseReference(signed);
  } catch {
    return false;
  }
  // parseReference gives a bare name `latest`; a signature must say what it names.
  if (!signed.includes('@') && !signed.slice(signed.lastIndexOf('/') + 1).includes(':')) return false;
  if (named.registry !== reference.registry || named.repository !== reference.repository) return false;
  if (reference.tag === undefined) return true;
  return named.digest === undefined && named.tag === reference.tag;
}

/** What a verification of `reference` asks the signature to name: `registry/repository:tag`, or `registry/repository` by digest. */
export function signedIdentity(reference: ImageReference): string {
  const name = `${reference.registry}/${reference.repository}`;
  return reference.tag === undefined ? name : `${name}:${reference.tag}`;
}
