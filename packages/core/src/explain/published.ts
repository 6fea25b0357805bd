/**
 * What `explain --against` compares with: a published image's fingerprint (from its tag, or its
 * image's label when the tag is another, such as `latest` or a multi-arch index) and the state its
 * inputs record holds, or a note saying why there is none to compare.
 */
import type { MzbuildContext } from '../context';
import { UserError } from '../errors';
import { parseManifest, platformMatches, type Descriptor } from '../registry/manifests';
import { parseReference } from '../registry/reference';
import { decodeRecord, MAX_RECORD_BYTES, RECORD_KIND, recordTag } from './record';
import type { ImageState } from './state';

/** The label every image mzbuild builds carries (acquire/execute.ts). */
const FINGERPRINT_LABEL = 'dev.mzbuild.fingerprint';
const FINGERPRINT = /^[A-Z2-7]{32}$/;
const FINGERPRINT_TAG = /^mzbuild-([A-Z2-7]{32})$/;
const GO_ARCH: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };
const MAX_CONFIG_BYTES = 4 << 20;

export const NO_RECORD = 'published without an inputs record';
export const NOT_TRUSTED = 'the record is not signed by a trusted key';

/** `registry/repository` of a reference, without its tag or digest. */
export function repositoryOf(reference: string): string {
  const ref = parseReference(reference);
  return `${ref.registry}/${ref.repository}`;
}

/**
 * The fingerprint of the image `reference` names, for the configured architecture: from a
 * `mzbuild-<fingerprint>` tag as it is, else from the image's label (an index's entry for the
 * architecture first). Undefined when there is no such image.
 */
export async function publishedFingerprint(context: MzbuildContext, reference: string): Promise<string | undefined> {
  const registry = context.registry();
  const ref = parseReference(reference);
  const fromTag = ref.tag !== undefined && ref.digest === undefined ? FINGERPRINT_TAG.exec(ref.tag)?.[1] : undefined;
  if (fromTag) return (await registry.tagExists(reference)) ? fromTag : undefined;
  const repository = repositoryOf(reference);
  let manifest = await registry.getManifest(reference);
  if (!manifest) return undefined;
  let content = parse(reference, manifest);
  if (content.kind === 'index') {
    const wanted = { os: 'linux', architecture: GO_ARCH[context.config.arch]! };
    const entry = content.manifests.find((d: Descriptor) => platformMatches(d, wanted));
    if (!entry) throw new UserError(`${reference} is an index with no image for linux/${wanted.architecture}: give --arch, or the reference of an image`);
    manifest = await registry.getManifest(`${repository}@${entry.digest}`);
    if (!manifest) throw new UserError(`${reference} names ${entry.digest}, which ${repository} does not have`);
    content = parse(reference, manifest);
  }
  if (content.kind !== 'image') throw new UserError(`${reference} is not an image`);
  const config = await registry.readSmallBlob(repository, content.config.digest, MAX_CONFIG_BYTES);
  if (!config) throw new UserError(`${reference}: its image config ${content.config.digest} cannot be read from ${repository}`);
  const fingerprint = labelOf(config);
  if (!fingerprint) throw new UserError(`${reference} has no ${FINGERPRINT_LABEL} label: it was not built by mzbuild; give its mzbuild-<fingerprint> tag`);
  return fingerprint;
}

/** The fingerprint label of an image config; undefined when it has none, or is not an image config. */
function labelOf(config: Buffer): string | undefined {
  try {
    const labels = (JSON.parse(config.toString('utf8')) as { config?: { Labels?: Record<string, unknown> } | null }).config?.Labels;
    const value = labels?.[FINGERPRINT_LABEL];
    // Anyone who can push writes labels: only a fingerprint's shape goes into a tag.
    return typeof value === 'string' && FINGERPRINT.test(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function parse(reference: string, manifest: { mediaType: string; bytes: Buffer }) {
  try {
    return parseManifest(manifest);
  } catch (error) {
    throw new UserError(`${reference} cannot be read: ${(error as Error).message}`);
  }
}

/**
 * The state the inputs record of `image` at `fingerprint` in `repository` holds; without one (or
 * with trusted keys, without one a trusted key signed), a state of the fingerprint alone with a
 * note saying why.
 */
export async function recordedState(context: MzbuildContext, repository: string, image: string, fingerprint: string, missing = NO_RECORD): Promise<ImageState> {
  const stub = (note: string): ImageState => ({ image, fingerprint, inputs: new Map(), config: {}, extras: [], dependencies: {}, note });
  const registry = context.registry();
  const reference = `${repository}:${recordTag(fingerprint)}`;
  const found = await registry.findArtifact(reference, RECORD_KIND, { maxBytes: MAX_RECORD_BYTES, trustedKeys: await context.trustedKeys(), cache: context.verifiedCache() });
  if (!found.found) {
    if (found.why === 'absent') return stub(missing);
    if (found.why === 'untrusted') return stub(NOT_TRUSTED);
    return stub(`its inputs record ${reference} cannot be read: ${found.reason}`);
  }
  const layer = await registry.readSmallBlob(repository, found.layer.digest, MAX_RECORD_BYTES);
  if (!layer) return stub(`its inputs record ${reference} names a layer the registry does not have`);
  const state = decodeRecord(layer);
  if (typeof state === 'string') return stub(`its inputs record ${reference} cannot be read: ${state}`);
  if (state.fingerprint !== fingerprint || state.image !== image) return stub(`its inputs record ${reference} is of another image (${state.image} at ${state.fingerprint})`);
  return state;
}
