// An Nx cache entry as an OCI artifact (registry/artifact-format.ts): its tag from the Nx hash and the platform, its kind (own artifactType, the archive as the one layer).
import { artifactLayer, artifactManifest, type ArtifactKind } from '../registry/artifact-format';
import type { Descriptor } from '../registry/manifests';

/** What the manifest says it is: registries and `oras` show it, and nothing mistakes it for an image. */
export const ARTIFACT_TYPE = 'application/vnd.mzbuild.nx-cache.v1';
/** The layer: the tar.gz Nx sends, byte for byte. */
export const LAYER_MEDIA_TYPE = 'application/vnd.mzbuild.nx-cache.v1.tar+gzip';
/** The kind of artifact an entry is, for the registry room's artifact format. */
export const ENTRY_KIND: ArtifactKind = { artifactType: ARTIFACT_TYPE, layerMediaType: LAYER_MEDIA_TYPE };

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
  return artifactManifest(ENTRY_KIND, layer, { 'dev.mzbuild.nx-cache.hash': hash });
}

/**
 * The archive's descriptor of a manifest read back, or why it is not an entry: anyone who can
 * push can put anything under a tag, so nothing but our own shape is served.
 */
export function entryLayer(bytes: Buffer, maxBytes: number): Descriptor | string {
  return artifactLayer(bytes, ENTRY_KIND, maxBytes);
}
