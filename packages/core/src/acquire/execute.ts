/** Carrying out an acquire plan: pulls, one batched cargo build, docker builds as soon as their dependencies are there. */
import type { DockerBuildRequest } from '../docker/build';
import type { CargoBuild, Copy } from '../manifest';
import type { MzbuildContext } from '../context';
import { isUserError } from '../errors';
import { rewriteMzfrom } from '../dockerfile';
import type { Image } from '../repository';
import { Semaphore } from '../semaphore';
import { refusalMessage, untrustedRefusal, type PlanEntry } from './plan';
import { pinnedReference } from './pinned';
import type { Outcome } from './summary';

/** What building needs from the outside world: pre-images (cargo, copy), docker build and pull. */
export interface Builders {
  /** One cargo build for every cargo-build step of the images to build. */
  cargo(requests: { imageName: string; imageDir: string; step: CargoBuild }[], onLine: (line: string) => void): Promise<void>;
  copy(image: Image, step: Copy, onLine: (line: string) => void): Promise<void>;
  dockerBuild(request: DockerBuildRequest, onLine: (line: string) => void): Promise<void>;
  pull(reference: string, onLine: (line: string) => void): Promise<void>;
  /** Names a pulled image (reference@digest) by its reference, so that everything after finds it as today. */
  tag?(source: string, target: string): Promise<void>;
}

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
}

/**
 * Carries out a plan. Registry images are pulled, and images to build are built as soon as their
 * dependencies are ready: images without Rust do not wait for cargo, independent images build in
 * parallel up to a limit, and a failure stops only the images that depend on it.
 */
export async function executePlan(plan: PlanEntry[], options: ExecuteOptions): Promise<Outcome[]> {
  const { context, builders, onLine } = options;
  const imageOf = (name: string) => context.repository.byName.get(name)!;
  const referenceOf = new Map(plan.map((e) => [e.name, e.reference]));
  const toBuild = plan.filter((e) => e.action === 'build' || e.action === 'untrusted');

  const cargoSteps = toBuild.flatMap((e) => cargoStepsOf(imageOf(e.name)).map((step) => ({ imageName: e.name, imageDir: imageOf(e.name).dir, step })));
  const cargo = cargoSteps.length > 0 ? builders.cargo(cargoSteps, (line) => onLine('cargo', line)) : undefined;
  cargo?.catch(() => {}); // reported by each image that needs it

  const pull = typeof options.pull === 'function' ? options.pull : () => options.pull as boolean;
  const dockerSlots = new Semaphore(options.parallel);
  const outcomes = new Map<string, Promise<Outcome>>();
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
      if (entry.action === 'local') return outcome('local');
      if (entry.action === 'refused') {
        const message = entry.untrusted ? untrustedRefusal(entry) : refusalMessage([entry.reference]);
        log(`error: ${message}`);
        return outcome('failed', message);
      }
      try {
        if (entry.action === 'registry') {
          if (!pull(entry.name)) return outcome('in registry');
          // From the cache registry, when the registry lacks it; named by its reference after, as every image is.
          const from = entry.source ?? entry.reference;
          if (entry.digest === undefined) {
            await builders.pull(from, log);
            if (from !== entry.reference) await builders.tag?.(from, entry.reference);
            return outcome('pulled');
          }
          // Verified: by digest, so that the tag cannot have moved to another image since the check.
          const pinned = pinnedReference(from, entry.digest);
          await builders.pull(pinned, log);
          await builders.tag?.(pinned, entry.reference);
          return outcome('pulled');
        }
        const dependencies = await Promise.all(entry.dependencies.map((name) => outcomes.get(name)!));
        const failed = dependencies.find((d) => d.result === 'failed' || d.result === 'skipped');
        if (failed) return outcome('skipped', `${failed.name} was not built`);
        const image = imageOf(entry.name);
        if (cargoStepsOf(image).length > 0 && cargo) await cargo;
        for (const step of image.manifest.preImages) if (step.type === 'copy') await builders.copy(image, step, log);
        await dockerSlots.run(() => builders.dockerBuild(dockerBuildRequest(context, image, entry, referenceOf, options.revision), log));
        return outcome('built');
      } catch (error) {
        if (!isUserError(error)) throw error;
        for (const line of error.message.split('\n')) log(`error: ${line}`);
        return outcome('failed', error.message.split('\n')[0]);
      }
    };
    outcomes.set(entry.name, run());
  }
  return Promise.all(plan.map((entry) => outcomes.get(entry.name)!));
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
