/** The pre-image steps' entry points: one cargo build for many images, and copy. */
import type { Copy } from '../manifest';
import { lazyWorkspace, type CargoBuildRequest, type CargoRunOptions } from './cargo-command';
import { planCargoBuild } from './cargo-plan';
import { runCargo } from './cargo-run';
import { installCargoOutputs } from './cargo-outputs';
import { runCopyStep } from './copy';
import { checkOutputsIgnored } from './outputs';
import { formatSccache, startSccache, type SccacheReport } from './sccache';
import type { Sccache } from '../config';

export type { CargoBuildRequest } from './cargo-command';

/**
 * How pre-images run. `root` is the repository root (absolute); `config` gives the profile and
 * architecture; `cargoCommand` (default `['cargo']`) is the program that runs cargo, e.g. a
 * builder container's entry point or a wrapper; `sccache` runs it through sccache;
 * `env` is added to `process.env`; `onOutput` receives every line of output of cargo and binutils,
 * as it comes, and the commands run (`$ …`); `visibleFiles`, the git-visible files, spares a git
 * call when checking that outputs are ignored.
 */
export type PreImageOptions = CargoRunOptions & {
  /** Run cargo through sccache (see startSccache); default: as the environment has it. */
  sccache?: Sccache;
};

/** What the one cargo build reports besides its outputs. */
export interface CargoReport {
  /** With sccache: its hits and misses during the build. */
  sccache?: SccacheReport;
}

/**
 * ONE cargo build for all the requests (the union of their bins, examples and features), then per
 * request: copy its binaries into its image directory, strip them, extract from build scripts'
 * OUT_DIRs. Before anything is built, every request is checked: its bins and examples exist,
 * its destinations stay in its image directory, and git ignores (and does not track) every output.
 */
export async function runCargoBuilds(requests: CargoBuildRequest[], options: PreImageOptions): Promise<CargoReport> {
  if (requests.length === 0) return {};
  const plan = planCargoBuild(requests, options.config, options.workspace ?? lazyWorkspace(options.root, options.config.compat));
  await checkOutputsIgnored(
    options.root,
    plan.images.flatMap((image) => image.outputs),
    options.visibleFiles,
  );
  // sccache, in this one spot: its variables go on top of cargo's environment, its numbers in the report.
  const sccache = await startSccache(options.sccache, { ...process.env, ...options.env });
  const artifacts = await runCargo(plan, sccache ? { ...options, env: { ...options.env, ...sccache.env } } : options);
  const report: CargoReport = sccache ? { sccache: await sccache.finish() } : {};
  if (report.sccache) options.onOutput?.(formatSccache(report.sccache));
  for (const image of plan.images) await installCargoOutputs(image, artifacts, plan.command, options);
  return report;
}

/**
 * Copies the files of a copy pre-image: the git-visible `files` under `step.source` (root-relative)
 * matching `step.matching` (a git pathspec relative to it) go to `<imageDir>/<destination>/<path
 * relative to source>`, keeping their modes. The destinations are checked first, as for cargo.
 */
export async function runCopy(imageDir: string, step: Copy, options: PreImageOptions & { files: string[] }): Promise<void> {
  await runCopyStep(imageDir, step, {
    root: options.root,
    files: options.files,
    ...(options.visibleFiles ? { visibleFiles: options.visibleFiles } : {}),
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
  });
}
