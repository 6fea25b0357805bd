// Multi-platform indexes: an OCI image index put under a tag, listing one image per platform, read whole before anything is written.
import { UserError } from '../errors';
import { getSmallBlob } from './blob-requests';
import { copyContent, settled, type CopyContext } from './copy';
import { operation } from './errors';
import { getManifest, manifestDigest, manifestExists, putManifest } from './manifest-requests';
import {
  digestOf,
  formatPlatform,
  isObject,
  OCI_INDEX,
  parseManifest,
  platformMatches,
  type Descriptor,
  type Manifest,
  type Platform,
} from './manifests';
import { formatReference, manifestReference, parseReference, type ImageReference } from './reference';
import { pushScope, routeOf, type Repository } from './scopes';
import type { RegistrySession } from './session';

/** One image of a multi-platform index: what it was built for, and where it is. */
export interface IndexSource {
  platform: Platform;
  /** An image, or an index (buildx's, with attestations) that has one for `platform`. */
  reference: string;
}

/** The config media types whose JSON says `os` and `architecture`. */
const IMAGE_CONFIG_TYPES = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'];
/** Configs are a few kilobytes; one larger than this is not checked. */
const MAX_CONFIG_BYTES = 4 << 20;

interface Resolved {
  source: IndexSource;
  ref: ImageReference;
  /** The platform's image manifest. */
  manifest: Manifest;
}

/**
 * Puts an OCI image index under `target` that lists, for each source, its platform's image
 * manifest (media type, digest, size, platform), in the order given. A source that is itself an
 * index gives its manifest for the platform (attestations, `unknown/unknown`, are left out). An
 * image's config must agree with the platform it is given for. Every source is read before
 * anything is written: a missing one is a UserError naming its platform and reference, and
 * leaves the registry as it was. Manifests in other repositories than the target's are copied
 * into it first (mounted on the same registry), as a registry takes an index only of manifests
 * it holds in that repository. An index already there with the same bytes is not written again.
 * Returns the index's digest.
 */
export async function createIndex(ctx: CopyContext, target: string, sources: IndexSource[]): Promise<string> {
  const { session } = ctx;
  const dst = parseReference(target);
  const index = operation(session.secrets, `create the index ${target}`);
  if (dst.digest !== undefined || dst.tag === undefined) throw index.fail('give it a tag, not a digest');
  const tag = dst.tag;
  if (sources.length === 0) throw index.fail('it needs at least one image');
  for (const [i, source] of sources.entries()) {
    if (!source.platform?.os || !source.platform?.architecture) throw index.fail(`the image ${source.reference} has no os and architecture`);
    const twin = sources.findIndex((other, j) => j < i && samePlatform(other.platform, source.platform));
    if (twin !== -1) throw index.fail(`${formatPlatform(source.platform)} is given twice (${sources[twin]!.reference} and ${source.reference})`);
  }
  const refs = sources.map((source) => parseReference(source.reference));

  return index.within(async () => {
    const found = await settled(sources.map((source, i) => resolve(session, source, refs[i]!, dst)));
    const missing = found.filter((entry): entry is { missing: string } => 'missing' in entry);
    if (missing.length > 0) throw index.fail(missing.map((m) => m.missing).join('; '));
    const resolved = found as Resolved[];

    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: resolved.map(({ source, manifest }): Descriptor => ({
          mediaType: manifest.mediaType,
          digest: manifest.digest,
          size: manifest.bytes.length,
          platform: platformOf(source.platform),
        })),
      }),
    );
    const digest = digestOf(bytes);
    const scope = pushScope(dst);
    if ((await manifestDigest(session, dst, tag, scope)) === digest) return digest;

    await settled(
      resolved
        .filter(({ ref }) => ref.registry !== dst.registry || ref.repository !== dst.repository)
        .map(async ({ ref, manifest }) => {
          const route = routeOf(ref, dst);
          if (await manifestExists(session, dst, manifest.digest, route.dstScope)) return;
          await copyContent(ctx, route, manifest);
          await putManifest(session, dst, manifest.digest, manifest, route.dstScope);
        }),
    );
    await putManifest(session, dst, tag, { mediaType: OCI_INDEX, bytes }, scope);
    return digest;
  });
}

/** The platform's image manifest of a source, or what is missing. */
async function resolve(session: RegistrySession, source: IndexSource, ref: ImageReference, dst: Repository): Promise<Resolved | { missing: string }> {
  const wanted = formatPlatform(source.platform);
  const name = formatReference(ref);
  // The scope the copy into `dst` reads with, so that one token serves the source's reads and its copy.
  const scope = routeOf(ref, dst).srcScope;
  const top = await getManifest(session, ref, manifestReference(ref), scope);
  if (!top) return { missing: `the ${wanted} image ${name} does not exist` };
  const content = parseOrFail(top, name);
  if (content.kind === 'image') {
    await checkConfig(session, ref, scope, content.config, source.platform, name);
    return { source, ref, manifest: top };
  }
  const child = content.manifests.find((entry) => platformMatches(entry, source.platform));
  if (!child) {
    const has = content.manifests.filter((m) => m.platform && m.platform.os !== 'unknown').map((m) => formatPlatform(m.platform!));
    throw new UserError(`the index ${name}, given for ${wanted}, has no ${wanted} image (it has ${has.join(', ') || 'none'})`);
  }
  const manifest = await getManifest(session, ref, child.digest, scope);
  if (!manifest) return { missing: `the ${wanted} image ${ref.registry}/${ref.repository}@${child.digest} listed by ${name} does not exist` };
  const childContent = parseOrFail(manifest, `${ref.registry}/${ref.repository}@${child.digest}`);
  if (childContent.kind !== 'image') throw new UserError(`the ${wanted} entry of the index ${name} is itself an index`);
  return { source, ref, manifest };
}

function parseOrFail(manifest: Manifest, name: string): ReturnType<typeof parseManifest> {
  try {
    return parseManifest(manifest);
  } catch (error) {
    throw new UserError(`the manifest of ${name} cannot be read: ${(error as Error).message}`);
  }
}

/** An image given for one platform that was built for another would be served to the wrong machines. */
async function checkConfig(session: RegistrySession, ref: Repository, scope: string, config: Descriptor, platform: Platform, name: string): Promise<void> {
  if (!IMAGE_CONFIG_TYPES.includes(config.mediaType) || config.size > MAX_CONFIG_BYTES) return;
  const bytes = await getSmallBlob(session, ref, config.digest, MAX_CONFIG_BYTES, scope);
  if (!bytes) throw new UserError(`the config ${config.digest} of ${name} is missing from the registry`);
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    return;
  }
  if (!isObject(json) || typeof json['os'] !== 'string' || typeof json['architecture'] !== 'string') return;
  const built: Platform = { os: json['os'], architecture: json['architecture'] };
  if (built.os !== platform.os || built.architecture !== platform.architecture) {
    throw new UserError(`${name} is given for ${formatPlatform(platform)}, but it is a ${formatPlatform(built)} image`);
  }
}

function platformOf(platform: Platform): Platform {
  // A fixed key order, so that the same sources always make the same bytes, and the same digest.
  const result: Platform = { architecture: platform.architecture, os: platform.os };
  if (platform.variant) result.variant = platform.variant;
  return result;
}

function samePlatform(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}
