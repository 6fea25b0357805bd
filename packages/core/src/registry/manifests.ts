// What a manifest is: media types, digests, descriptors, platforms; no requests.
import { createHash } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

const INDEX_TYPES: readonly string[] = [OCI_INDEX, DOCKER_MANIFEST_LIST];
const IMAGE_TYPES: readonly string[] = [OCI_MANIFEST, DOCKER_MANIFEST];

/**
 * Registries must take manifests of 4 MiB (OCI distribution spec); distribution refuses larger
 * ones. A larger answer is not a manifest we could write anywhere.
 */
export const MAX_MANIFEST_BYTES = 4 << 20;

/** A manifest as a registry holds it: its exact bytes, their digest, and their media type. */
export interface Manifest {
  mediaType: string;
  /** `sha256:…` of `bytes`. */
  digest: string;
  bytes: Buffer;
}

/** What an image was built for, as an index lists it. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** A reference to content (a blob or a manifest) by digest, as manifests hold them. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  urls?: string[];
}

/** What a manifest refers to: an index, its manifests; an image, its config and layers. */
export type ManifestContent =
  | { kind: 'index'; manifests: Descriptor[] }
  | { kind: 'image'; config: Descriptor; layers: Descriptor[] };

/** The digest algorithms registries use, with the length of their hex. */
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value);
}

/** `algorithm:hex` of `bytes`; sha256 unless another algorithm is named. */
export function digestOf(bytes: Buffer, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** Whether `digest` (of any algorithm registries use) is the digest of `bytes`. */
export function matchesDigest(bytes: Buffer, digest: string): boolean {
  if (!isDigest(digest)) return false;
  const algorithm = digest.slice(0, digest.indexOf(':'));
  return digestOf(bytes, algorithm) === digest;
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType);
}

export function isManifestType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType) || IMAGE_TYPES.includes(mediaType);
}

/**
 * The media type of a manifest: the `mediaType` its JSON declares (which is what a registry
 * checks a PUT's Content-Type against), else the Content-Type it was served with when that is a
 * manifest type, else what its shape says (`manifests`: an OCI index; `config`: an OCI image).
 */
export function manifestMediaType(bytes: Buffer, contentType: string | undefined): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!isObject(json)) return undefined;
  if (typeof json['mediaType'] === 'string' && json['mediaType'] !== '') return json['mediaType'];
  const served = contentType?.split(';')[0]!.trim().toLowerCase();
  if (served && isManifestType(served)) return served;
  if (json['schemaVersion'] !== 2) return undefined;
  if (Array.isArray(json['manifests'])) return OCI_INDEX;
  if (isObject(json['config'])) return OCI_MANIFEST;
  return undefined;
}

/**
 * The descriptors a manifest holds. Throws an Error saying what is wrong (the caller names the
 * manifest) when it is not JSON of its type, or a descriptor is malformed: a digest is only ever
 * put in a URL once it is known to be `algorithm:hex`.
 */
export function parseManifest(manifest: { mediaType: string; bytes: Buffer }): ManifestContent {
  let json: unknown;
  try {
    json = JSON.parse(manifest.bytes.toString('utf8'));
  } catch {
    throw new Error('it is not JSON');
  }
  if (!isObject(json)) throw new Error('it is not a JSON object');
  if (INDEX_TYPES.includes(manifest.mediaType)) {
    if (!Array.isArray(json['manifests'])) throw new Error('it is an index without a "manifests" list');
    return { kind: 'index', manifests: json['manifests'].map((d, i) => descriptor(d, `manifests[${i}]`)) };
  }
  if (IMAGE_TYPES.includes(manifest.mediaType)) {
    const layers = json['layers'] ?? [];
    if (!Array.isArray(layers)) throw new Error('its "layers" is not a list');
    return { kind: 'image', config: descriptor(json['config'], 'config'), layers: layers.map((d, i) => descriptor(d, `layers[${i}]`)) };
  }
  throw new Error(`its media type ${manifest.mediaType} is not one of an image or an index`);
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new Error(`${where} is not a descriptor`);
  const { mediaType, digest, size, platform, annotations, urls } = value;
  if (typeof mediaType !== 'string' || mediaType === '') throw new Error(`${where} has no media type`);
  if (!isDigest(digest)) throw new Error(`${where} has no valid digest`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new Error(`${where} has no valid size`);
  const result: Descriptor = { mediaType, digest, size };
  if (isObject(platform) && typeof platform['os'] === 'string' && typeof platform['architecture'] === 'string') {
    result.platform = { os: platform['os'], architecture: platform['architecture'] };
    if (typeof platform['variant'] === 'string' && platform['variant'] !== '') result.platform.variant = platform['variant'];
  }
  if (isObject(annotations)) {
    result.annotations = Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  if (Array.isArray(urls)) result.urls = urls.filter((u): u is string => typeof u === 'string');
  return result;
}

/**
 * Layers a registry does not hold (Windows base layers): docker never pushes them, and a
 * registry takes a manifest that lists them without the blob.
 */
export function isForeignLayer(layer: Descriptor): boolean {
  return /\.(?:foreign|nondistributable)\./.test(layer.mediaType) || (layer.urls?.length ?? 0) > 0;
}

/** `linux/arm64/v8`, for messages. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part).join('/');
}

/**
 * Whether an index entry is for `wanted`. Attestations (buildx's `unknown/unknown` entries) never
 * are. Without a wanted variant any variant matches; arm64 without a variant is arm64/v8, as
 * containerd's platform matcher has it.
 */
export function platformMatches(entry: Descriptor, wanted: Platform): boolean {
  const platform = entry.platform;
  if (!platform || platform.os === 'unknown' || platform.architecture === 'unknown') return false;
  if (entry.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') return false;
  if (platform.os !== wanted.os || platform.architecture !== wanted.architecture) return false;
  if (!wanted.variant) return true;
  const normal = (variant: string | undefined) => variant || (platform.architecture === 'arm64' ? 'v8' : '');
  return normal(platform.variant) === normal(wanted.variant);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
