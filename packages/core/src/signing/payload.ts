// The simple-signing payload a signature signs: written byte for byte as containers/image writes it, read as strictly as it reads it.
import { isDigest, isObject } from '../registry/manifests';
import { parseStrictJson } from './strict-json';

/** The `critical.type` of every cosign signature of a container image. */
export const SIGNATURE_TYPE = 'cosign container image signature';

/** What a payload says: the image (by manifest digest), the reference it was signed for, and who signed it when. */
export interface SignaturePayload {
  /** The reference signed for, `registry/repository:tag`, as the signer named it. */
  dockerReference: string;
  /** `sha256:<hex>` of the signed manifest. */
  manifestDigest: string;
  /** `optional.creator`: the program that signed (`mzbuild 0.1.0`, `containers/image 5.22.1`). */
  creator?: string;
  /** `optional.timestamp`: when, in whole seconds since the epoch. */
  timestamp?: number;
}

/**
 * The payload's bytes as containers/image marshals them (Go maps: keys sorted; json.Marshal: no
 * spaces, `<`, `>` and `&` escaped), so that a signature mzbuild makes is one that
 * containers/image could have made. `optional` holds the creator and the timestamp, as theirs does.
 */
export function buildPayload(payload: SignaturePayload): Buffer {
  const { dockerReference, manifestDigest, creator, timestamp } = payload;
  if (dockerReference === '' || !isDigest(manifestDigest)) throw new Error('a signature payload needs a reference and a manifest digest');
  if (timestamp !== undefined && !Number.isSafeInteger(timestamp)) throw new Error('a signature timestamp is whole seconds');
  const optional: Record<string, unknown> = {};
  if (creator !== undefined) optional['creator'] = creator;
  if (timestamp !== undefined) optional['timestamp'] = timestamp;
  const text = goJson({
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type: SIGNATURE_TYPE,
    },
    optional,
  });
  return Buffer.from(text, 'utf8');
}

/**
 * What a payload says, checked as containers/image checks it (signature/internal's
 * strictUnmarshalJSON): exactly the keys `critical` and `optional`; `critical` exactly `type`
 * (the cosign type), `image` (exactly `docker-manifest-digest`) and `identity` (exactly
 * `docker-reference`); `optional` an object or null, its `creator` a string and its `timestamp` an
 * integer, other keys in it ignored; no key twice. Throws an Error saying what is wrong.
 */
export function parsePayload(bytes: Buffer): SignaturePayload {
  const json = parseStrictJson(bytes.toString('utf8'));
  const top = exactly(json, ['critical', 'optional'], 'the payload');
  const critical = exactly(top['critical'], ['type', 'image', 'identity'], 'critical');
  if (critical['type'] !== SIGNATURE_TYPE) throw new Error(`its type is not ${JSON.stringify(SIGNATURE_TYPE)}`);
  const image = exactly(critical['image'], ['docker-manifest-digest'], 'critical.image');
  const identity = exactly(critical['identity'], ['docker-reference'], 'critical.identity');
  const manifestDigest = image['docker-manifest-digest'];
  const dockerReference = identity['docker-reference'];
  if (typeof manifestDigest !== 'string' || typeof dockerReference !== 'string') throw new Error('its digest and reference are not strings');
  const result: SignaturePayload = { dockerReference, manifestDigest };

  const optional = top['optional'];
  if (optional === null) return result; // what cosign writes when a signature has no annotations
  if (!isObject(optional)) throw new Error('its optional part is neither an object nor null');
  const { creator, timestamp } = optional;
  if (creator !== undefined && creator !== null) {
    if (typeof creator !== 'string') throw new Error('its optional.creator is not a string');
    result.creator = creator;
  }
  if (timestamp !== undefined && timestamp !== null) {
    if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) throw new Error('its optional.timestamp is not an integer');
    result.timestamp = timestamp;
  }
  return result;
}

/** An object with exactly these keys, as containers/image's ParanoidUnmarshalJSONObjectExactFields wants. */
function exactly(value: unknown, keys: string[], what: string): Record<string, unknown> {
  if (!isObject(value)) throw new Error(`${what} is not an object`);
  const actual = Object.keys(value);
  const unknown = actual.filter((key) => !keys.includes(key));
  const missing = keys.filter((key) => !actual.includes(key));
  if (unknown.length > 0) throw new Error(`${what} has the unexpected key ${JSON.stringify(unknown[0])}`);
  if (missing.length > 0) throw new Error(`${what} has no ${JSON.stringify(missing[0])}`);
  return value;
}

/** JSON as Go's json.Marshal writes it: JSON.stringify's, with `<`, `>`, `&`, U+2028 and U+2029 escaped as Go escapes them. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The creator mzbuild's signatures name: the program, without its version, so that the payload stays one text per image. */
export const MZBUILD_CREATOR = 'mzbuild';

/**
 * The payload mzbuild signs for `dockerReference` at `manifestDigest`: creator `mzbuild`, and no
 * timestamp (optional in containers/image's and cosign's payloads alike). It is then a function
 * of the image alone, so that a verifier can compute it instead of fetching it: when the
 * attachment holds a layer with its digest, that layer's blob is these bytes, and checking its
 * signature against them needs no request. The signature itself still says who signed.
 */
export function mzbuildPayload(dockerReference: string, manifestDigest: string): Buffer {
  return buildPayload({ dockerReference, manifestDigest, creator: MZBUILD_CREATOR });
}
