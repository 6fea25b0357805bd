/** Multi-arch indexes under release tags (mzbuild's `publish-multiarch`), written through the registry API alone. */
import { ARCHES, imageReference, type Arch } from '../config';
import type { MzbuildContext } from '../context';
import { UserError } from '../errors';
import type { Existence } from '../registry/client';
import type { Image } from '../repository';
import { NO_REGISTRY } from './plan';

/** What assembling indexes needs from a registry client. */
export interface IndexRegistry {
  checkExistence(references: string[]): Promise<Map<string, Existence>>;
  tagExists(reference: string): Promise<boolean>;
  createIndex(target: string, sources: { platform: { os: string; architecture: string }; reference: string }[]): Promise<string>;
}

const PLATFORM: Record<Arch, { os: string; architecture: string }> = {
  x86_64: { os: 'linux', architecture: 'amd64' },
  aarch64: { os: 'linux', architecture: 'arm64' },
};

/** `v1.2.3`, `v1.2.3-rc.1`, `v1.2.3--main.g1234abc`: tags that name a release, and never move. */
export function isVersionTag(tag: string): boolean {
  return /^v\d+\.\d+\.\d+/.test(tag);
}

export interface MultiArchResult {
  name: string;
  /** The index written, in each registry; empty when the image was passed over. */
  references: string[];
  /** Why an image got no index (`mainline: false` images get no version tags). */
  skipped?: string;
}

/**
 * Puts, under `tag`, an OCI index of the x86_64 and aarch64 images of each image, computed for
 * this one tree, in the registry and every mirror, through the registry API alone. Everything is
 * checked before anything is written: a missing architecture, or a version tag that exists
 * (unless `force`), fails the whole call and writes nothing. `latest` and `unstable` always move.
 */
export async function publishMultiArch(
  context: MzbuildContext,
  images: Image[],
  tag: string,
  registry: IndexRegistry = context.registry(),
  options: { force?: boolean; arches?: readonly Arch[]; /** Check everything, write nothing. */ dryRun?: boolean } = {},
): Promise<MultiArchResult[]> {
  const { config, resolver } = context;
  if (!config.registry) throw new UserError(NO_REGISTRY);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new UserError(`${tag} is not a valid tag: letters, digits, _ . - (up to 128, not starting with . or -)`);
  const registries = [config.registry, ...config.mirrors];
  const arches = options.arches ?? ARCHES;
  const version = isVersionTag(tag);

  const fingerprints = new Map<Arch, Map<string, string>>();
  for (const arch of arches) {
    const resolved = await resolver.resolve(images, { ...config, arch });
    fingerprints.set(arch, new Map(resolved.map((r) => [r.image.name, r.fingerprint])));
  }
  resolver.saveCache();

  const plans = images.map((image) => {
    if (!image.manifest.publish) return { image, skipped: 'not published (publish: false)' };
    if (version && !image.manifest.mainline) return { image, skipped: 'no version tags for an image with mainline: false' };
    const writes = registries.map((r) => ({
      target: `${r}/${config.imagePrefix}${image.name}:${tag}`,
      sources: arches.map((arch) => ({
        arch,
        platform: PLATFORM[arch],
        reference: imageReference({ ...config, registry: r }, image.name, fingerprints.get(arch)!.get(image.name)!),
      })),
    }));
    return { image, writes };
  });

  const sources = plans.flatMap((p) => p.writes ?? []).flatMap((w) => w.sources);
  const existence = await registry.checkExistence(sources.map((s) => s.reference));
  const missing = sources.filter((s) => existence.get(s.reference) !== 'present');
  if (missing.length > 0) {
    throw new UserError(
      `no index was written: ${missing.map((s) => `${s.arch} image ${s.reference} is ${existence.get(s.reference) === 'absent' ? 'not published' : 'not known to exist (the registry could not be asked)'}`).join('; ')}`,
    );
  }
  if (version && !options.force) {
    const taken = [];
    for (const write of plans.flatMap((p) => p.writes ?? [])) if (await registry.tagExists(write.target)) taken.push(write.target);
    if (taken.length > 0) {
      throw new UserError(`no index was written: version tags are never moved, and these exist: ${taken.join(', ')} (pass --force to move them anyway)`);
    }
  }

  const results: MultiArchResult[] = [];
  for (const plan of plans) {
    if (!plan.writes) {
      results.push({ name: plan.image.name, references: [], skipped: plan.skipped });
      continue;
    }
    for (const write of options.dryRun ? [] : plan.writes) {
      await registry.createIndex(write.target, write.sources.map(({ platform, reference }) => ({ platform, reference })));
    }
    results.push({ name: plan.image.name, references: plan.writes.map((w) => w.target) });
  }
  return results;
}
