// The signature attachment of an image: the `sha256-<hex>.sig` tag beside it, its OCI manifest of one layer per signature, and its config, byte for byte as containers/image writes them.
import { digestOf, isDigest, isObject, OCI_MANIFEST, parseManifest, type Descriptor, type Manifest, type Platform } from '../registry/manifests';
import { goJson } from './payload';

/** The media type of a signature's layer, whose blob is the payload. */
export const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the signature: standard base64 of the ASN.1 DER ECDSA signature. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

/**
 * The tag of the signatures of the manifest `digest`, in the image's own repository: cosign's
 * `sha256-<hex>.sig`. It depends on the digest alone, so every tag of one image shares it.
 */
export function signatureTag(digest: string): string {
  if (!isDigest(digest) || !digest.startsWith('sha256:')) throw new Error(`signatures are kept for sha256 digests, not ${digest}`);
  return `${digest.replace(':', '-')}.sig`;
}

/** The layer of one signature: the payload's descriptor, with the signature as its annotation. */
export function signatureLayer(payload: { digest: string; size: number }, signature: string): Descriptor {
  return { mediaType: SIMPLE_SIGNING, digest: payload.digest, size: payload.size, annotations: { [SIGNATURE_ANNOTATION]: signature } };
}

/**
 * The config and layers of an attachment manifest. Throws an Error saying what is wrong when it is
 * not an OCI image manifest: containers/image refuses any other type for a `.sig` tag.
 */
export function parseAttachment(manifest: Pick<Manifest, 'mediaType' | 'bytes'>): { config: Descriptor; layers: Descriptor[] } {
  if (manifest.mediaType !== OCI_MANIFEST) throw new Error(`it is a ${manifest.mediaType}, not an OCI image manifest`);
  const content = parseManifest(manifest);
  if (content.kind !== 'image') throw new Error('it is not an image manifest');
  return { config: content.config, layers: content.layers };
}

/** The `rootfs.diff_ids` of an attachment's config; undefined when it has none that can be read. */
export function configDiffIds(config: Buffer): string[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(config.toString('utf8'));
  } catch {
    return undefined;
  }
  const ids = isObject(json) && isObject(json['rootfs']) ? json['rootfs']['diff_ids'] : undefined;
  return Array.isArray(ids) && ids.every(isDigest) ? ids : undefined;
}

/** An attachment as it is to be written: its manifest and its config, exact bytes. */
export interface Attachment {
  manifest: Buffer;
  config: Buffer;
}

/**
 * An attachment with `layer` appended, as containers/image appends (putSignaturesToSigstoreAttachments):
 * undefined when a layer identical to it is there (media type, digest, size and annotations),
 * else the layers there and the new one, the config's diff_ids with the new payload's digest
 * after them (`existing.diffIds`; the layers' digests when its config could not be read). With
 * no attachment yet, one of just this layer. The config is written in the shape containers/image
 * writes (other fields of another writer's config, cosign's `created` and `history`, are not
 * kept: nothing reads them); the manifest keeps every layer's fields.
 */
export function appendSignature(existing: { layers: Descriptor[]; diffIds: string[] | undefined } | undefined, layer: Descriptor): Attachment | undefined {
  const layers = existing?.layers ?? [];
  if (layers.some((l) => sameLayer(l, layer))) return undefined;
  const diffIds = [...(existing?.diffIds ?? layers.map((l) => l.digest)), layer.digest];
  return buildAttachment([...layers, layer], diffIds);
}

/**
 * The manifest and config of an attachment holding `layers`. Field order is that of the Go
 * structs containers/image marshals (image-spec's Manifest, Descriptor and Image), annotations in
 * key order as Go writes maps, so that the bytes are the ones it writes for the same signatures.
 */
export function buildAttachment(layers: Descriptor[], diffIds = layers.map((l) => l.digest)): Attachment {
  const config = Buffer.from(goJson({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configDescriptor = { mediaType: OCI_CONFIG, digest: digestOf(config), size: config.length };
  const manifest = Buffer.from(goJson({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: configDescriptor, layers: layers.map(goDescriptor) }));
  return { manifest, config };
}

/** image-spec's Descriptor field order: mediaType, digest, size, urls, annotations, platform (omitted when empty). */
function goDescriptor(d: Descriptor): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.urls && d.urls.length > 0) out['urls'] = d.urls;
  if (d.annotations && Object.keys(d.annotations).length > 0) out['annotations'] = sortedKeys(d.annotations);
  if (d.platform) out['platform'] = goPlatform(d.platform);
  return out;
}

function goPlatform(p: Platform): Record<string, string> {
  return { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}) };
}

function sortedKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** containers/image's layerMatchesSigstoreSignature: the same media type, size, digest and annotations. */
function sameLayer(a: Descriptor, b: Descriptor): boolean {
  const x = Object.entries(a.annotations ?? {});
  const y = b.annotations ?? {};
  return a.mediaType === b.mediaType && a.size === b.size && a.digest === b.digest && x.length === Object.keys(y).length && x.every(([k, v]) => y[k] === v);
}
