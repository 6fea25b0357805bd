// OCI artifacts (an artifactType, the empty config, one layer), no requests: the manifest written, and the check of one read back. Shared by the cache server's entries and images' inputs records.
import { digestOf, isDigest, OCI_MANIFEST, type Descriptor } from './manifests';

/** OCI 1.1's empty config, for artifacts that have none: `{}`. */
export const EMPTY_CONFIG_MEDIA_TYPE = 'application/vnd.oci.empty.v1+json';
export const EMPTY_CONFIG = Buffer.from('{}');

/** What kind of artifact a tag holds: its manifest's artifactType and its one layer's media type. */
export interface ArtifactKind {
  artifactType: string;
  layerMediaType: string;
}

/**
 * The manifest of an artifact whose one layer is `layer`. Its bytes depend on nothing else
 * (JSON in a fixed key order, no timestamps), so writing the same artifact twice gives the same
 * digest, and a writer can tell that what is there is what it would write.
 */
export function artifactManifest(kind: ArtifactKind, layer: { digest: string; size: number }, annotations: Record<string, string>): { mediaType: string; bytes: Buffer } {
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: kind.artifactType,
    config: { mediaType: EMPTY_CONFIG_MEDIA_TYPE, digest: digestOf(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
    layers: [{ mediaType: kind.layerMediaType, digest: layer.digest, size: layer.size }],
    annotations,
  };
  return { mediaType: OCI_MANIFEST, bytes: Buffer.from(JSON.stringify(manifest)) };
}

/**
 * The one layer of an artifact manifest read back, or why it is not one of `kind`: anyone who can
 * push can put anything under a tag, so nothing but the expected shape is read further.
 */
export function artifactLayer(bytes: Buffer, kind: ArtifactKind, maxBytes: number): Descriptor | string {
  let manifest: { artifactType?: unknown; layers?: unknown };
  try {
    manifest = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'its manifest is not JSON';
  }
  if (manifest.artifactType !== kind.artifactType) return `its manifest's artifactType is not ${kind.artifactType}`;
  const layers = Array.isArray(manifest.layers) ? (manifest.layers as Descriptor[]) : [];
  const layer = layers[0];
  if (layers.length !== 1 || !layer || layer.mediaType !== kind.layerMediaType) return `it does not have one ${kind.layerMediaType} layer`;
  if (!isDigest(layer.digest) || !layer.digest.startsWith('sha256:')) return 'its layer has no sha256 digest';
  if (!Number.isSafeInteger(layer.size) || layer.size < 0) return 'its layer has no size';
  if (layer.size > maxBytes) return `its layer (${layer.size} bytes) is larger than the cap of ${maxBytes} bytes`;
  return layer;
}
