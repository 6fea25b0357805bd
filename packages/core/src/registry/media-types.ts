// The manifest media types the client asks registries for.
/** The manifests an image or a multi-platform index may be stored as, OCI's and Docker's. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
] as const;

/**
 * The Accept header for manifest requests. Without it a registry may answer for a manifest it
 * would have to convert (distribution converts to schema 1), or 404 for one it cannot.
 */
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');
