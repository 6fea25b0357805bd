// An Nx cache entry as an OCI artifact: its tag from the Nx hash and the platform, its manifest (own artifactType, empty config, the archive as the one layer), and the check of one read back.
import { digestOf, OCI_MANIFEST, type Descriptor } from '../registry/manifests';

/** What the manifest says it is: registries and `oras` show it, and nothing mistakes it for an image. */
export const ARTIFACT_TYPE = 'application/vnd.mzbuild.nx-cache.v1';
/** The layer: the tar.gz Nx sends, byte for byte. */
export const LAYER_MEDIA_TYPE = 'application/vnd.mzbuild.nx-cache.v1.tar+gzip';
/** OCI 1.1's empty config, for artifacts that have none: `{}`. */
export const EMPTY_CONFIG_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
export const EMPTY_CONFIG = Buffer.from('{}');

/** Nx's hashes are decimal today; anything a tag can hold is taken, and nothing that could climb out of the path. */
const HASH = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function isNxHash(hash: string): boolean {
  return HASH.test(hash);
}

/**
 * The tag of an entry: `nx-<platform>-<hash>`. Nx's task hash leaves out the operating system and
 * the architecture (unless a target names them as runtime inputs), so outputs built on a Linux
 * x64 runner would be a hit on an arm64 Mac: the server puts its own platform in the key, the
 * platform of the Nx run it serves, since it listens on loopback only.
 */
export function entryTag(platform: string, hash: string): string {
  return `nx-${platform}-${hash}`;
}

/** `linux-x64`, `darwin-arm64`: Node's names, as in Nx's own native packages. */
export function hostPlatform(): string {
  return `${process.platform}-${process.arch}`;
}

/** The manifest of an entry whose archive is `layer`, with annotations naming the hash (for people browsing the registry). */
export function entryManifest(layer: { digest: string; size: number }, hash: string): { mediaType: string; bytes: Buffer } {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: ARTIFACT_TYPE,
    config: { mediaType: EMPTY_CONFIG_MEDIA_TYPE, digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
    layers: [{ mediaType: LAYER_MEDIA_TYPE, digest: layer.digest, size: layer.size }],
    annotations: { 'dev.mzbuild.nx-cache.hash': hash },
  };
  return { mediaType: OCI_MANIFEST, bytes: Buffer.from(JSON.stringify(manifest)) };
}

/**
 * The archive's descriptor of a manifest read back, or why it is not an entry: anyone who can
 * push can put anything under a tag, so nothing but our own shape is served.
 */
export function entryLayer(bytes: Buffer, maxBytes: number): Descriptor | string {
  let manifest: { artifactType?: unknown; layers?: unknown };
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'its manifest is not JSON';
  }
  if (manifest.artifactType !== ARTIFACT_TYPE) return `its manifest's artifactType is not ${ARTIFACT_TYPE}`;
  const layers = Array.isArray(manifest.layers) ? (manifest.layers as Descriptor[]) : [];
  const layer = layers[0];
  if (layers.length !== 1 || !layer || layer.mediaType !== LAYER_MEDIA_TYPE) return `it does not have one ${LAYER_MEDIA_TYPE} layer`;
  if (typeof layer.digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(layer.digest)) return 'its layer has no sha256 digest';
  if (!Number.isSafeInteger(layer.size) || layer.size < 0) return 'its layer has no size';
  if (layer.size > maxBytes) return `its archive (${layer.size} bytes) is larger than the cap of ${maxBytes} bytes`;
  return layer;
}
