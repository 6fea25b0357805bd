/** Multi-arch indexes under release tags (mzbuild's `publish-multiarch`), written through the registry API alone, their sources verified and the indexes signed. */
import { pinnedReference } from '../acquire/pinned';
import { ARCHES, imageReference, type Arch } from '../config';
import type { MzbuildContext } from '../context';
import { UserError } from '../errors';
import type { RegistryClient } from '../registry/client';
import type { Image } from '../repository';
import { NO_REGISTRY } from './plan';

/** What assembling indexes needs from a registry client: the check, the index, and signatures. */
export type IndexRegistry = Pick<RegistryClient, 'checkPresence' | 'tagExists' | 'createIndex' | 'verify' | 'sign'>;

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
  /**
   * With a signing key: the indexes whose signature this run wrote (none when they were signed
   * already); in a dry run, those that would be signed unless they are already.
   */
  signed?: string[];
}

/**
 * Puts, under `tag`, an OCI index of the x86_64 and aarch64 images of each image, computed for
 * this one tree, in the registry and every mirror, through the registry API alone. Everything is
 * checked before anything is written: a missing architecture, or a version tag that exists
 * (unless `force`), fails the whole call and writes nothing. `latest` and `unstable` always move.
 *
 * With trusted keys, every per-architecture source must be signed by one of them, as any reuse
 * of a registry's image must: an index would otherwise hand machines an image someone planted
 * under a fingerprint tag. An untrusted source fails the call naming it; there is no replacing it
 * here, since this command builds nothing (`ensure --replace-untrusted --arch …` does). The
 * verified sources are listed by digest, so that a tag moved since the check cannot slip in.
 * With a signing key, each index is signed under its tag once written (writing nothing where our
 * signature is there already).
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
  // Release tags live in the registry, which a run with a cache registry (an untrusted job) never writes.
  if (config.cacheRegistry !== undefined) {
    throw new UserError(`no index was written: a run with a cache registry (${config.cacheRegistry}) writes only there, and release tags belong in the registry; unset cacheRegistry (MZBUILD_CACHE_REGISTRY, --cache-registry) in the job that moves them`);
  }
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
  const presence = await registry.checkPresence(sources.map((s) => s.reference));
  const missing = sources.filter((s) => presence.get(s.reference)?.existence !== 'present');
  if (missing.length > 0) {
    throw new UserError(
      `no index was written: ${missing.map((s) => `${s.arch} image ${s.reference} is ${presence.get(s.reference)?.existence === 'absent' ? 'not published' : 'not known to exist (the registry could not be asked)'}`).join('; ')}`,
    );
  }
  const pinned = await verifySources(context, registry, sources, presence);
  if (version && !options.force) {
    const taken = [];
    for (const write of plans.flatMap((p) => p.writes ?? [])) if (await registry.tagExists(write.target)) taken.push(write.target);
    if (taken.length > 0) {
      throw new UserError(`no index was written: version tags are never moved, and these exist: ${taken.join(', ')} (pass --force to move them anyway)`);
    }
  }

  const key = await context.signingKey();
  const results: MultiArchResult[] = [];
  for (const plan of plans) {
    if (!plan.writes) {
      results.push({ name: plan.image.name, references: [], skipped: plan.skipped });
      continue;
    }
    const signed: string[] = [];
    for (const write of options.dryRun ? [] : plan.writes) {
      const digest = await registry.createIndex(write.target, write.sources.map(({ platform, reference }) => ({ platform, reference: pinned.get(reference) ?? reference })));
      // The signature names the tag (latest, v1.2.3): what a puller of that tag asks to be signed.
      if (key && (await registry.sign(write.target, digest, key)).written) signed.push(write.target);
    }
    const targets = plan.writes.map((w) => w.target);
    results.push({ name: plan.image.name, references: targets, ...(key ? { signed: options.dryRun ? targets : signed } : {}) });
  }
  return results;
}

/**
 * With trusted keys, every source verified (at once, through the run's cache): an untrusted one
 * fails the call, naming it. Returns each verified source's reference pinned to its digest.
 */
async function verifySources(
  context: MzbuildContext,
  registry: IndexRegistry,
  sources: { arch: Arch; reference: string }[],
  presence: Awaited<ReturnType<IndexRegistry['checkPresence']>>,
): Promise<Map<string, string>> {
  const keys = await context.trustedKeys();
  if (keys.length === 0) return new Map();
  const unique = [...new Map(sources.map((s) => [s.reference, s])).values()];
  const answers = await Promise.all(
    unique.map(async (s) => {
      const digest = presence.get(s.reference)?.digest;
      if (digest === undefined) return { ...s, digest, trust: { trusted: false as const, reason: 'the registry named no digest for it' } };
      return { ...s, digest, trust: await registry.verify(s.reference, digest, keys, { cache: context.verifiedCache() }) };
    }),
  );
  const untrusted = answers.filter((a) => !a.trust.trusted);
  if (untrusted.length > 0) {
    const why = untrusted.map((a) => `${a.arch} image ${a.reference} is not signed by a trusted key (${a.trust.trusted ? '' : a.trust.reason})`);
    throw new UserError(
      `no index was written: ${why.join('; ')}; publish-multiarch builds nothing, so replace ${untrusted.length === 1 ? 'it' : 'them'} first ` +
        `with mzimage ensure --replace-untrusted --arch ${[...new Set(untrusted.map((a) => a.arch))].join('|')} (the publish target's replaceUntrusted option)`,
    );
  }
  return new Map(answers.map((a) => [a.reference, pinnedReference(a.reference, a.digest!)]));
}
