/** Acquiring images for the local engine: the plan (local, registry, build, refused), then carrying it out. */
import type { MzbuildContext } from '../context';
import { envIsTruthy } from '../config';
import { localImages } from '../docker/client';
import type { ResolvedImage } from '../fingerprint';
import { runGit } from '../git';
import type { Image } from '../repository';
import { buildsOfThisShard, executePlan, isBuild, type Builders } from './execute';
import { makePlan, type PlanEntry, type PlanOptions, type RegistryAnswer } from './plan';
import { realBuilders } from './builders';
import { cacheReferenceOf } from './cache-registry';
import { whyBuilt } from '../explain/run';
import { assignShards, imageCost, type Sharding } from './shards';
import type { Outcome } from './summary';
import type { Presence } from '../registry/check';
import type { Verification } from '../signing/verify';

export { formatPlan, refusalMessage, untrustedRefusal, type Action, type PlanEntry, type RegistryAnswer } from './plan';
export { formatSummary, type Outcome } from './summary';
export { pinnedReference } from './pinned';
export { DEFAULT_SHARD_WAIT, parseDuration, parseShard, resolveSharding, type Shard, type Sharding } from './shards';

export interface AcquireOptions {
  /**
   * Allow building publishable images that the registry lacks in CI, for all images or image by
   * image; where it is undefined, MZBUILD_ALLOW_LOCAL_BUILD decides.
   */
  allowLocalBuild?: boolean | ((name: string) => boolean | undefined);
  /**
   * A CI shard's run: each image to build is of one shard's share (`PlanEntry.shard`), computed
   * over every image resolved here; `shards` gives the shares instead (publishing computes them
   * over its own targets, so that its acquire plan agrees with them).
   */
  sharding?: Sharding;
  shards?: Map<string, number>;
}

/** Each image's shard among `count`, over the images resolved for the run's targets: the same in every job given the same targets. */
export function shardsOf(resolved: ResolvedImage[], count: number): Map<string, number> {
  return assignShards(resolved.map((r) => ({ name: r.image.name, fingerprint: r.fingerprint, cost: imageCost(r.image) })), count);
}

/** The plan for the targets and everything they build on: local, registry or build, decided in one batch. */
export async function planImages(context: MzbuildContext, targets: Image[], options: AcquireOptions = {}): Promise<PlanEntry[]> {
  const { config, resolver } = context;
  const resolved = await resolver.resolve(targets, config);
  resolver.saveCache();
  // The registry is asked every time: a remembered "it exists" goes stale when a retention policy
  // deletes a tag, and one HEAD per image is cheap beside the pull or build that follows.
  const verify = await verifier(context);
  const early = verify && startedEarly(verify);
  const checkRegistry = config.registry ? (references: string[]) => context.registry().checkPresence(references, early?.start) : undefined;
  const shards = options.shards ?? (options.sharding ? shardsOf(resolved, options.sharding.shard.count) : undefined);
  const plan = await planResolved(context, resolved, { ...options, ...(shards ? { shards } : {}) }, checkRegistry, early?.verify ?? verify);
  const untrusted = plan.filter((e) => e.action === 'untrusted' || (e.action === 'refused' && e.untrusted));
  // Once per run, all of them together: each is a tag that someone without a trusted key wrote, or one not signed yet.
  if (untrusted.length > 0) {
    context.warn(`not signed by a trusted key, so not used from the registry: ${untrusted.map((e) => e.reference).join(', ')}`);
  }
  return plan;
}

/** With trusted keys, how a present image is verified: for its reference and digest, through the run's cache; without, undefined. */
export async function verifier(context: MzbuildContext): Promise<PlanOptions['verify']> {
  const keys = await context.trustedKeys();
  if (keys.length === 0) return undefined;
  return (reference, digest) => context.registry().verify(reference, digest, keys, { cache: context.verifiedCache() });
}

/**
 * Verification pipelined with the existence check: each present image's signature is asked for
 * as soon as its HEAD names its digest, not once every HEAD of the batch has answered, and the
 * plan's verification (of every present image at once) takes those answers: one request each.
 */
function startedEarly(verify: NonNullable<PlanOptions['verify']>): { start: (reference: string, presence: Presence) => void; verify: NonNullable<PlanOptions['verify']> } {
  const started = new Map<string, Promise<Verification>>();
  const key = (reference: string, digest: string) => `${reference}@${digest}`;
  return {
    start: (reference, presence) => {
      if (!presence.digest || started.has(key(reference, presence.digest))) return;
      const verification = verify(reference, presence.digest);
      verification.catch(() => undefined); // told when the plan awaits it
      started.set(key(reference, presence.digest), verification);
    },
    verify: (reference, digest) => started.get(key(reference, digest)) ?? verify(reference, digest),
  };
}

/** The plan of images already resolved, with the registry asked through `checkRegistry` (publishing answers from what it asked). */
export async function planResolved(
  context: MzbuildContext,
  resolved: ResolvedImage[],
  options: AcquireOptions,
  checkRegistry: ((references: string[]) => Promise<Map<string, RegistryAnswer>>) | undefined,
  verify?: PlanOptions['verify'],
): Promise<PlanEntry[]> {
  const { env } = context;
  const allowedByEnv = envIsTruthy(env['MZBUILD_ALLOW_LOCAL_BUILD']);
  const allowLocalBuild = options.allowLocalBuild;
  const cacheReference = cacheReferenceOf(context.config);
  return makePlan(resolved, {
    localImages: await localImages(context.docker, env),
    ...(checkRegistry ? { checkRegistry } : {}),
    ...(cacheReference ? { cacheReference } : {}),
    ...(verify ? { verify } : {}),
    ...(options.shards ? { shards: options.shards } : {}),
    ci: envIsTruthy(env['CI']),
    allowLocalBuild: typeof allowLocalBuild === 'function' ? (name) => allowLocalBuild(name) ?? allowedByEnv : (allowLocalBuild ?? allowedByEnv),
  });
}

export interface RunOptions extends AcquireOptions {
  /** Pull what a registry has (default), or only check; for all images, or image by image. */
  pull?: boolean | ((name: string) => boolean);
  parallel?: number;
  onLine: (source: string, line: string) => void;
  builders?: Builders;
}

/** What carrying out a plan takes: the run's options, and its sharding. */
type CarryOutOptions = Omit<RunOptions, keyof AcquireOptions> & Pick<AcquireOptions, 'sharding'>;

/** Makes the targets available to the local engine: plans, then pulls and builds what is missing. */
export async function acquireImages(
  context: MzbuildContext,
  targets: Image[],
  options: RunOptions,
): Promise<{ plan: PlanEntry[]; outcomes: Outcome[] }> {
  const plan = await planImages(context, targets, options);
  return { plan, outcomes: await carryOut(context, plan, options) };
}

/**
 * Pulls and builds what a plan says, as soon as each image's dependencies are there. Beside the
 * builds, it works out why each is built (explain/), for the summary's line of why.
 */
export async function carryOut(context: MzbuildContext, plan: PlanEntry[], options: CarryOutOptions): Promise<Outcome[]> {
  // Why, for this shard's builds: another shard's image is built here only if its shard fails.
  const toBuild = buildsOfThisShard(plan, options.sharding).map((e) => context.repository.byName.get(e.name)!);
  const why = toBuild.length > 0 ? whyBuilt(context, toBuild) : Promise.resolve(new Map<string, string>());
  const outcomes = await executePlan(plan, {
    context,
    builders: options.builders ?? realBuilders(context),
    pull: options.pull ?? true,
    parallel: options.parallel ?? 2,
    onLine: options.onLine,
    ...(options.sharding ? { sharding: options.sharding } : {}),
    revision: plan.some(isBuild) ? await gitRevision(context.repository.root) : 'unknown',
  });
  const reasons = await why;
  return outcomes.map((o) => (o.result === 'built' && reasons.has(o.name) ? { ...o, why: reasons.get(o.name)! } : o));
}

/** The commit the images are built from, for their labels; `unknown` before the first commit. */
async function gitRevision(root: string): Promise<string> {
  try {
    return (await runGit(root, ['rev-parse', 'HEAD'])).trim();
  } catch {
    return 'unknown';
  }
}
