/** Carrying out an acquire plan: pulls, one batched cargo build, docker builds as soon as their dependencies are there. */
import type { DockerBuildRequest } from '../docker/build';
import type { CargoBuild, Copy } from '../manifest';
import type { MzbuildContext } from '../context';
import type { HeldLock, LockHolder } from '../lock-file';
import type { CargoReport } from '../preimage/pre-images';
import { isUserError } from '../errors';
import { rewriteMzfrom } from '../dockerfile';
import type { Image } from '../repository';
import { Semaphore } from '../semaphore';
import { refusalMessage, untrustedRefusal, type PlanEntry } from './plan';
import { pinnedReference } from './pinned';
import { ShardDeadlines, waitForImage, REAL_CLOCK, type Clock } from './shard-wait';
import type { Sharding } from './shards';
import type { Outcome } from './summary';

/** What building needs from the outside world: pre-images (cargo, copy), docker build and pull. */
export interface Builders {
  /** One cargo build for every cargo-build step of the images to build. */
  cargo(requests: { imageName: string; imageDir: string; step: CargoBuild }[], onLine: (line: string) => void): Promise<CargoReport | void>;
  copy(image: Image, step: Copy, onLine: (line: string) => void): Promise<void>;
  /** Builds the image; `pushed` when the builder pushed it to the registry instead of loading it into the engine. */
  dockerBuild(request: DockerBuildRequest, onLine: (line: string) => void): Promise<{ pushed: boolean } | void>;
  pull(reference: string, onLine: (line: string) => void): Promise<void>;
  /** Names a pulled image (reference@digest) by its reference, so that everything after finds it as today. */
  tag?(source: string, target: string): Promise<void>;
  /**
   * This machine's lock of an image to build (by reference), so that two runs build it once:
   * taken now, or undefined when another process holds it (`wait` false); or taken once the other
   * process is done (`wait` hears of it once). Without it, nothing is locked.
   */
  lock?(reference: string, wait: false | ((holder: LockHolder) => void)): Promise<HeldLock | undefined>;
  /** After waiting for another run's build: where the image is now (the engine, or a registry), if anywhere. */
  found?(entry: PlanEntry): Promise<Found>;
  /** Removes what git ignores in the images' directories (an earlier build's outputs), before their pre-images run. */
  clean?(images: Image[], onLine: (line: string) => void): Promise<void>;
}

/** Where an image another run was building is now: the engine, a registry (with its verified digest), or nowhere. */
export type Found = 'local' | { registry: true; digest?: string } | undefined;

export type { DockerBuildRequest };

export interface ExecuteOptions {
  context: MzbuildContext;
  builders: Builders;
  /** Pull images that a registry has; false only records that they exist. For all, or image by image. */
  pull: boolean | ((name: string) => boolean);
  /** Docker builds at once. */
  parallel: number;
  /** Every output line, with the image (or `cargo`) it belongs to. */
  onLine: (source: string, line: string) => void;
  /** Recorded in the image labels. */
  revision: string;
  /** In a sharded run: this run's shard, and how long it waits for another shard's image before building it itself. */
  sharding?: Sharding;
  /** For the waits of a sharded run (tests give their own). */
  clock?: Clock;
}

/**
 * Carries out a plan. Registry images are pulled, and images to build are built as soon as their
 * dependencies are ready: images without Rust do not wait for cargo, independent images build in
 * parallel up to a limit, and a failure stops only the images that depend on it. An image that
 * another run on this machine is building is waited for and then reused; only if that run did
 * not leave it in the engine or a registry is it built here (with a cargo build of its own).
 *
 * In a sharded run, an image to build of another shard's share is left to it, unless an image of
 * this run builds on it: then it is waited for in the registry (`waitForImage`), pulled, and built
 * on; only when that shard's time is up is it built here.
 */
export async function executePlan(plan: PlanEntry[], options: ExecuteOptions): Promise<Outcome[]> {
  const { context, builders, onLine } = options;
  const imageOf = (name: string) => context.repository.byName.get(name)!;
  const referenceOf = new Map(plan.map((e) => [e.name, e.reference]));
  const { sharding } = options;
  const clock = options.clock ?? REAL_CLOCK;
  const deadlines = new ShardDeadlines(sharding?.wait ?? 0, clock);
  const isForeign = (e: PlanEntry) => isBuild(e) && isOtherShards(e, sharding);
  const toBuild = buildsOfThisShard(plan, sharding);

  // Claimed first, before any pre-image writes into an image directory that another run's
  // docker build may be reading.
  const claims = new Map<string, HeldLock>();
  try {
    await claimNow(toBuild, builders, claims);
    const ours = toBuild.filter((e) => claims.has(e.name));
    if (ours.length > 0) await builders.clean?.(ours.map((e) => imageOf(e.name)), (line) => onLine('git', line));
    const cargo = startCargo(ours.map((e) => imageOf(e.name)), builders, (line) => onLine('cargo', line));

    const pull = typeof options.pull === 'function' ? options.pull : () => options.pull as boolean;
    const dockerSlots = new Semaphore(options.parallel);
    const outcomes = new Map<string, Promise<Outcome>>();
    const runs = new Map<string, () => Promise<Outcome>>();
    // Another shard's images start only when an image of this run asks for them.
    const outcomeOf = (name: string): Promise<Outcome> => {
      if (!outcomes.has(name)) outcomes.set(name, runs.get(name)!());
      return outcomes.get(name)!;
    };
    for (const entry of plan) {
      const run = async (): Promise<Outcome> => {
        const started = Date.now();
        const outcome = (result: Outcome['result'], error?: string): Outcome => ({
          name: entry.name,
          reference: entry.reference,
          result,
          seconds: (Date.now() - started) / 1000,
          ...(error === undefined ? {} : { error }),
        });
        const log = (line: string) => onLine(entry.name, line);
        // `from`: the cache registry's reference, when only it has the image; named by its reference after, as every image is.
        const fromRegistry = async (digest: string | undefined, from = entry.reference): Promise<Outcome> => {
          if (!pull(entry.name)) return outcome('in registry');
          if (digest === undefined) {
            await builders.pull(from, log);
            if (from !== entry.reference) await builders.tag?.(from, entry.reference);
            return outcome('pulled');
          }
          // Verified: by digest, so that the tag cannot have moved to another image since the check.
          const pinned = pinnedReference(from, digest);
          await builders.pull(pinned, log);
          await builders.tag?.(pinned, entry.reference);
          return outcome('pulled');
        };
        if (entry.action === 'local') return outcome('local');
        if (entry.action === 'refused') {
          const message = entry.untrusted ? untrustedRefusal(entry) : refusalMessage([entry.reference]);
          log(`error: ${message}`);
          return outcome('failed', message);
        }
        try {
          if (entry.action === 'registry') return await fromRegistry(entry.digest, entry.source ?? entry.reference);
          // Another shard's, and needed here: waited for while it can come (never, for an image that is not published).
          let waited = false;
          if (isForeign(entry) && entry.publish) {
            log(`shard ${entry.shard}/${sharding!.shard.count} builds ${entry.reference}: waiting for it in the registry`);
            const found = await waitForImage(async () => (await builders.found?.(entry)) ?? undefined, deadlines.of(entry.shard!), clock);
            if (found === 'local') return outcome('local');
            if (found) return await fromRegistry(found.digest);
            log(`shard ${entry.shard} did not publish it within the shard wait (--shard-wait): building it here`);
            waited = true;
          }
          const dependencies = await Promise.all(entry.dependencies.map(outcomeOf));
          const failed = dependencies.find((d) => d.result === 'failed' || d.result === 'skipped');
          if (failed) return outcome('skipped', `${failed.name} was not built`);
          const image = imageOf(entry.name);
          let ownCargo = cargo;
          if (!claims.has(entry.name)) {
            const wait = (holder: LockHolder) => log(`waiting for another mzbuild run (pid ${holder.pid}) that builds ${entry.reference}`);
            const held = builders.lock ? await builders.lock(entry.reference, wait) : { file: '', release: () => {} };
            claims.set(entry.name, held!);
            const found = await builders.found?.(entry);
            if (found === 'local') {
              log('the other run built it: using it');
              return outcome('local');
            }
            if (found) return await fromRegistry(found.digest);
            // That run failed or was killed (or this is another shard's that never came): build it here, from its pre-images on.
            if (!waited) log('the other run did not leave it in the engine or a registry: building it here');
            await builders.clean?.([image], log);
            ownCargo = startCargo([image], builders, (line) => onLine('cargo', line));
          }
          const report = cargoStepsOf(image).length > 0 && ownCargo ? await ownCargo : undefined;
          for (const step of image.manifest.preImages) if (step.type === 'copy') await builders.copy(image, step, log);
          const built = await dockerSlots.run(() => builders.dockerBuild(dockerBuildRequest(context, image, entry, referenceOf, options.revision), log));
          return { ...outcome('built'), ...(built?.pushed ? { pushed: true } : {}), ...(report ? { cargo: report } : {}) };
        } catch (error) {
          if (!isUserError(error)) throw error;
          for (const line of error.message.split('\n')) log(`error: ${line}`);
          return outcome('failed', error.message.split('\n')[0]);
        } finally {
          // Built, failed or skipped: another run waiting for it may go on.
          claims.get(entry.name)?.release();
        }
      };
      runs.set(entry.name, run);
      if (!isForeign(entry)) outcomeOf(entry.name);
    }
    // Every image that asked for another shard's has it started before it ends itself.
    await Promise.all([...outcomes.values()]);
    const leftToOthers = (entry: PlanEntry): Outcome => ({ name: entry.name, reference: entry.reference, result: 'other shard', seconds: 0 });
    return await Promise.all(plan.map((entry) => outcomes.get(entry.name) ?? leftToOthers(entry)));
  } finally {
    for (const claim of claims.values()) claim.release();
  }
}

/** An entry this run builds, or waits for another shard to build: `build`, or `untrusted` (built as `build` is). */
export const isBuild = (e: PlanEntry) => e.action === 'build' || e.action === 'untrusted';
const isOtherShards = (e: PlanEntry, sharding: Sharding | undefined) => sharding !== undefined && e.shard !== undefined && e.shard !== sharding.shard.index;

/** The plan's images to build that are this shard's (all of them, unsharded); others' are waited for. */
export function buildsOfThisShard(plan: PlanEntry[], sharding: Sharding | undefined): PlanEntry[] {
  return plan.filter((e) => isBuild(e) && !isOtherShards(e, sharding));
}

/**
 * The images to build that this run may build now: each locked at once if no other run holds it.
 * Without a lock in the builders, all of them (with nothing to release).
 */
async function claimNow(toBuild: PlanEntry[], builders: Builders, claims: Map<string, HeldLock>): Promise<void> {
  for (const entry of toBuild) {
    const held = builders.lock ? await builders.lock(entry.reference, false) : { file: '', release: () => {} };
    if (held) claims.set(entry.name, held);
  }
}

/** The one cargo build of the images' cargo-build steps, started now; undefined when they have none. */
function startCargo(images: Image[], builders: Builders, onLine: (line: string) => void): Promise<CargoReport | void> | undefined {
  const steps = images.flatMap((image) => cargoStepsOf(image).map((step) => ({ imageName: image.name, imageDir: image.dir, step })));
  if (steps.length === 0) return undefined;
  const cargo = builders.cargo(steps, onLine);
  cargo.catch(() => {}); // reported by each image that needs it
  return cargo;
}

function cargoStepsOf(image: Image): CargoBuild[] {
  return image.manifest.preImages.filter((step): step is CargoBuild => step.type === 'cargo-build');
}

const GO_ARCH = { x86_64: 'amd64', aarch64: 'arm64' } as const;

/** The docker build of one image: MZFROM rewritten to the dependencies' references, mzbuild's build args, labels. */
export function dockerBuildRequest(
  context: MzbuildContext,
  image: Image,
  entry: PlanEntry,
  referenceOf: Map<string, string>,
  revision: string,
): DockerBuildRequest {
  const { config } = context;
  return {
    contextDir: `${context.repository.root}/${image.dir}`,
    dockerfile: rewriteMzfrom(image.dockerfile, (name) => referenceOf.get(name)!),
    tag: entry.reference,
    // mzbuild's fixed arguments come after the manifest's, and win.
    buildArgs: {
      ...image.manifest.buildArgs,
      BUILD_PROFILE: config.profile.toUpperCase(),
      ARCH_GCC: config.arch,
      ARCH_GO: GO_ARCH[config.arch],
      CI_SANITIZER: config.sanitizer,
    },
    labels: {
      'dev.mzbuild.image': image.name,
      'dev.mzbuild.fingerprint': entry.fingerprint,
      'org.opencontainers.image.revision': revision,
    },
    platform: `linux/${GO_ARCH[config.arch]}`,
  };
}
