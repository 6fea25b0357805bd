/**
 * An image's inputs record: its ImageState as gzip'd JSON, the one layer of an OCI artifact under
 * the tag `mzbuild-<fingerprint>.inputs` beside the image (GHCR has no referrers API, so a tag
 * names it). No requests here: the bytes written, and the checks of bytes read back.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { artifactManifest, type ArtifactKind } from '../registry/artifact-format';
import { digestOf } from '../registry/manifests';
import type { ImageState } from './state';

export const RECORD_KIND: ArtifactKind = {
  artifactType: 'application/vnd.mzbuild.inputs.v1',
  layerMediaType: 'application/vnd.mzbuild.inputs.v1.json+gzip',
};
/** Bumped when the JSON changes shape; a reader refuses a version it does not know rather than guess. */
export const RECORD_FORMAT = 1;
/** A record is some 100 bytes an input compressed; far past the largest image's. */
export const MAX_RECORD_BYTES = 16 << 20;
const MAX_JSON_BYTES = 256 << 20;

/** `registry/repo:mzbuild-<fp>` → `registry/repo:mzbuild-<fp>.inputs`. */
export function recordReference(imageReference: string, fingerprint: string): string {
  const at = imageReference.lastIndexOf(':');
  return `${imageReference.slice(0, at)}:${recordTag(fingerprint)}`;
}

export function recordTag(fingerprint: string): string {
  return `mzbuild-${fingerprint}.inputs`;
}

/** The layer's bytes: the same state always gives the same bytes (keys and paths in order, gzip with no time). */
export function encodeRecord(state: ImageState): Buffer {
  const sorted = (record: Record<string, string>) => Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]!]));
  const json = {
    format: RECORD_FORMAT,
    image: state.image,
    fingerprint: state.fingerprint,
    config: sorted(state.config),
    extras: state.extras,
    dependencies: sorted(state.dependencies),
    inputs: [...state.inputs.keys()].sort().map((path) => {
      const { mode, sha1 } = state.inputs.get(path)!;
      return { path, mode: mode.toString(8), sha1 };
    }),
  };
  return gzipSync(Buffer.from(JSON.stringify(json)), { level: 9 });
}

/** The artifact's manifest for the encoded record `layer`, annotated with what it is of (for people browsing the registry). */
export function recordManifest(state: ImageState, layer: Buffer): { mediaType: string; bytes: Buffer } {
  return artifactManifest(RECORD_KIND, { digest: digestOf(layer), size: layer.length }, {
    'dev.mzbuild.image': state.image,
    'dev.mzbuild.fingerprint': state.fingerprint,
  });
}

/**
 * The state a record holds, or why it cannot be read: anyone who can push can write the tag, so
 * everything is checked, and a format this version does not know is refused, not guessed at.
 */
export function decodeRecord(layer: Buffer): ImageState | string {
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(layer, { maxOutputLength: MAX_JSON_BYTES }).toString('utf8'));
  } catch {
    return 'it is not gzip’d JSON';
  }
  const r = json as Record<string, unknown>;
  if (typeof r !== 'object' || r === null) return 'it is not a JSON object';
  if (r['format'] !== RECORD_FORMAT) return `its format ${JSON.stringify(r['format'])} is not ${RECORD_FORMAT} (written by another version of mzbuild)`;
  if (typeof r['image'] !== 'string' || typeof r['fingerprint'] !== 'string') return 'it names no image or fingerprint';
  if (!isStringRecord(r['config']) || !isStringRecord(r['dependencies'])) return 'its config or dependencies are not string maps';
  if (!Array.isArray(r['extras']) || !r['extras'].every((e) => typeof e === 'string')) return 'its extras are not strings';
  if (!Array.isArray(r['inputs'])) return 'its inputs are not a list';
  const inputs = new Map<string, { mode: number; sha1: string }>();
  for (const input of r['inputs'] as unknown[]) {
    const { path, mode, sha1 } = (input ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || typeof mode !== 'string' || !/^[0-7]{1,7}$/.test(mode) || typeof sha1 !== 'string' || !/^[0-9a-f]{40}$/.test(sha1)) {
      return `an input is not {path, mode, sha1}: ${JSON.stringify(input).slice(0, 200)}`;
    }
    inputs.set(path, { mode: parseInt(mode, 8), sha1 });
  }
  return { image: r['image'], fingerprint: r['fingerprint'], inputs, config: r['config'], extras: r['extras'] as string[], dependencies: r['dependencies'] };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}
