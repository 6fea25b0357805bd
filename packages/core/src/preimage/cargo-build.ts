import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { crateDefining, loadCargoWorkspace, type CargoWorkspace } from '../cargo';
import type { Arch, FingerprintConfig, Profile } from '../config';
import { UserError } from '../errors';
import type { CargoBuild } from '../manifest';
import { checkDistinct, ignoreLine, manifestOf, pathInside, type OutputPath } from './outputs';
import { CargoFailureScanner, crossLinkerAdvice, type CargoFailure } from './rust-failures';
import { shellQuote, spawnLines } from '../process/spawn';
import { hostArchOf } from './strip';

export interface CargoBuildRequest {
  imageName: string;
  /** Root-relative image directory. */
  imageDir: string;
  step: CargoBuild;
}

export interface CargoRunOptions {
  /** Repository root (absolute): cargo's working directory. */
  root: string;
  config: FingerprintConfig;
  /** The program that runs cargo, with any leading arguments; default `['cargo']`. */
  cargoCommand?: string[];
  /** Added to (and overriding) `process.env` for cargo and binutils; an `undefined` value unsets. */
  env?: NodeJS.ProcessEnv;
  onOutput?: (line: string) => void;
  /** Root-relative git-visible files, to check outputs (see checkOutputsIgnored). */
  visibleFiles?: Set<string>;
  /**
   * Maps a path cargo reports to the host's path for it, when cargo runs where paths differ (a
   * builder container that mounts the target directory elsewhere). Default: unchanged.
   */
  mapPath?: (path: string) => string;
  /** The Cargo workspace if already read (an ImageGraph's `cargo`); default: read from `root`. */
  workspace?: () => CargoWorkspace;
  /** The host's architecture (default this process's); for tests. */
  hostArch?: Arch;
}

/** Directory of a profile's outputs under `target/<triple>/`. */
export const PROFILE_DIRS: Record<Profile, string> = { dev: 'debug', release: 'release', optimized: 'optimized' };

export function targetTriple(arch: Arch): string {
  return `${arch}-unknown-linux-gnu`;
}

/** `--release`, `--profile optimized`, or nothing for dev, as mzbuild passes them. */
export function profileArgs(profile: Profile): string[] {
  return profile === 'release' ? ['--release'] : profile === 'optimized' ? ['--profile', 'optimized'] : [];
}

export interface CargoBuildCommand {
  triple: string;
  bins: string[];
  examples: string[];
  /** Crates defining the bins and examples. */
  packages: string[];
  features: string[];
  profile: Profile;
}

/**
 * `cargo build`'s arguments (after the cargo command), as mzbuild generates them, with two more:
 * `--message-format=json-render-diagnostics`, so that the one run gives both the human
 * diagnostics (stderr) and the JSON messages (stdout) that mzbuild gets from a second run; and
 * `--locked`: Cargo.lock is an input of the fingerprint, so cargo must not rewrite it under an
 * image being tagged with the fingerprint of the old one.
 */
export function cargoBuildArgs(command: CargoBuildCommand): string[] {
  return [
    'build',
    '--target',
    command.triple,
    ...command.bins.flatMap((bin) => ['--bin', bin]),
    ...command.examples.flatMap((example) => ['--example', example]),
    ...command.packages.map((name) => `--package=${name}`),
    ...profileArgs(command.profile),
    ...(command.features.length > 0 ? [`--features=${command.features.join(',')}`] : []),
    '--message-format=json-render-diagnostics',
    '--locked',
  ];
}

/**
 * The environment cargo runs in: the user's, with `extra` on top; a coverage build adds
 * `-Cinstrument-coverage` to the Rust flags, as mzbuild does.
 */
export function cargoEnv(config: FingerprintConfig, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (config.coverage) {
    const flag = '-Cinstrument-coverage';
    if (env['CARGO_ENCODED_RUSTFLAGS']) env['CARGO_ENCODED_RUSTFLAGS'] += `\x1f${flag}`;
    else env['RUSTFLAGS'] = env['RUSTFLAGS'] ? `${env['RUSTFLAGS']} ${flag}` : flag;
  }
  return env;
}

/**
 * The package name in a cargo `package_id`: the current form (`path+file:///dir#name@1.0.0`, or
 * `path+file:///dir/name#1.0.0` when the directory is named after the package;
 * `registry+https://…#name@1.0.0`) and the one before cargo 1.77 (`name 1.0.0 (path+file:///…)`).
 */
export function packageNameOf(packageId: string): string {
  const old = /^(\S+) \S+ \(.*\)$/.exec(packageId);
  if (old) return old[1]!;
  const hash = packageId.lastIndexOf('#');
  if (hash >= 0) {
    const fragment = packageId.slice(hash + 1);
    const at = fragment.lastIndexOf('@');
    if (at > 0) return fragment.slice(0, at);
  }
  const url = (hash >= 0 ? packageId.slice(0, hash) : packageId).replace(/[?].*$/, '').replace(/\/+$/, '');
  return url.slice(url.lastIndexOf('/') + 1);
}

/** What cargo's JSON messages say of a build. */
export interface CargoArtifacts {
  /** `bin:NAME` or `example:NAME` → the executable cargo wrote. */
  executables: Map<string, string>;
  /** Package name → the OUT_DIRs of its build script runs, in order. */
  outDirs: Map<string, string[]>;
  /** Every path cargo reported, for finding the directories of this target triple. */
  paths: string[];
}

interface CargoMessage {
  reason?: string;
  package_id?: string;
  target?: { kind?: string[]; name?: string };
  executable?: string | null;
  filenames?: string[];
  out_dir?: string;
}

/** Reads cargo's stdout: JSON messages are recorded, anything else is not JSON (returns false). */
export class CargoMessageReader {
  readonly artifacts: CargoArtifacts = { executables: new Map(), outDirs: new Map(), paths: [] };

  constructor(private readonly mapPath: (path: string) => string = (path) => path) {}

  feed(line: string): boolean {
    if (!line.startsWith('{')) return false;
    let message: CargoMessage;
    try {
      message = JSON.parse(line) as CargoMessage;
    } catch {
      return false;
    }
    if (message.reason === 'compiler-artifact') {
      for (const file of message.filenames ?? []) this.artifacts.paths.push(this.mapPath(file));
      if (typeof message.executable === 'string' && message.target?.name !== undefined) {
        const executable = this.mapPath(message.executable);
        const kinds = message.target.kind ?? [];
        if (kinds.includes('bin')) this.artifacts.executables.set(`bin:${message.target.name}`, executable);
        if (kinds.includes('example')) this.artifacts.executables.set(`example:${message.target.name}`, executable);
      }
    } else if (message.reason === 'build-script-executed' && message.package_id && message.out_dir) {
      const outDir = this.mapPath(message.out_dir);
      this.artifacts.paths.push(outDir);
      const name = packageNameOf(message.package_id);
      this.artifacts.outDirs.set(name, [...(this.artifacts.outDirs.get(name) ?? []), outDir]);
    }
    return true;
  }
}

/** The directory of `triple` (`…/target/<triple>`) that holds `path`, if it is one cargo built for the target. */
export function tripleDirOf(path: string, triple: string): string | undefined {
  const index = path.lastIndexOf(`/${triple}/`);
  return index < 0 ? undefined : path.slice(0, index + triple.length + 1);
}

/** Cargo's target directory as the environment sets it (`CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET_DIR`), else `<root>/target`. */
export function targetDirectory(root: string, env: NodeJS.ProcessEnv): string {
  const dir = env['CARGO_TARGET_DIR'] || env['CARGO_BUILD_TARGET_DIR'] || 'target';
  return resolve(root, dir);
}

// ---------------------------------------------------------------------------------------------
// Planning: everything that can be checked before cargo runs.

/** One image's share of the build: where each of its outputs goes. */
export interface ImageCargoPlan {
  manifest: string;
  imageDir: string;
  step: CargoBuild;
  /** Root-relative destinations. */
  bins: { name: string; dest: string }[];
  examples: { name: string; dest: string }[];
  extract: { package: string; source: string; dest: string }[];
  outputs: OutputPath[];
}

export interface CargoBuildPlan {
  command: CargoBuildCommand;
  images: ImageCargoPlan[];
}

// An OUT_DIR lies at <target>/<triple>/<profile>/build/<package>-<hash>/out: a source may climb
// out of it (Materialize's testdrive extracts `../../../../../duckdb-download`), but not out of
// the target directory.
const VIRTUAL_OUT_DIR = 'triple/profile/build/package/out';

export function planCargoBuild(requests: CargoBuildRequest[], config: FingerprintConfig, workspace: () => CargoWorkspace): CargoBuildPlan {
  const bins = new Set<string>();
  const examples = new Set<string>();
  const packages = new Set<string>();
  const features = new Set<string>();
  const images: ImageCargoPlan[] = [];
  const errors: string[] = [];

  for (const request of requests) {
    const imageDir = pathInside('', request.imageDir);
    const manifest = manifestOf(imageDir ?? request.imageDir);
    if (imageDir === undefined || imageDir === '') {
      errors.push(`${manifest}: the image directory ${request.imageDir} is not a directory inside the repository`);
      continue;
    }
    const { step } = request;
    const plan: ImageCargoPlan = { manifest, imageDir, step, bins: [], examples: [], extract: [], outputs: [] };
    const output = (path: string, mayBeDirectory = false) =>
      plan.outputs.push({ manifest, imageDir, path, ignoreAs: ignoreLine(imageDir, path), ...(mayBeDirectory ? { mayBeDirectory } : {}) });
    try {
      for (const bin of new Set(step.bins)) {
        packages.add(crateDefining(workspace(), 'bin', bin, manifest).name);
        bins.add(bin);
        plan.bins.push({ name: bin, dest: `${imageDir}/${bin}` });
        output(`${imageDir}/${bin}`);
      }
      for (const example of new Set(step.examples)) {
        packages.add(crateDefining(workspace(), 'example', example, manifest).name);
        examples.add(example);
        plan.examples.push({ name: example, dest: `${imageDir}/examples/${example}` });
        output(`${imageDir}/examples/${example}`);
      }
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(error.message);
      continue;
    }
    for (const feature of step.features) features.add(feature);
    for (const [name, paths] of Object.entries(step.extract)) {
      for (const [source, dest] of Object.entries(paths)) {
        const destPath = pathInside(imageDir, dest);
        if (destPath === undefined) {
          errors.push(`${manifest}: extract: destination ${dest} (of ${name} ${source}) is outside the image directory ${imageDir}`);
          continue;
        }
        if (isAbsolute(source) || pathInside('target', `${VIRTUAL_OUT_DIR}/${source}`) === undefined) {
          errors.push(
            `${manifest}: extract: source ${source} of package ${name} is outside cargo's target directory; ` +
              `it must be a path in the package's build script OUT_DIR`,
          );
          continue;
        }
        plan.extract.push({ package: name, source, dest: destPath });
        output(destPath, true);
      }
    }
    images.push(plan);
  }
  // A broken workspace is one error, however many requests meet it.
  if (errors.length > 0) throw new UserError([...new Set(errors)].join('\n'));
  if (config.sanitizer !== 'none') {
    throw new UserError(
      `sanitizer builds (${config.sanitizer}) are not supported by the cargo-build pre-image yet: they need a nightly toolchain ` +
        `and mzbuild's sanitizer flags; build with --sanitizer none`,
    );
  }
  // Outputs of one image must not overwrite one another, whichever step asks for them.
  const byImage = new Map<string, OutputPath[]>();
  for (const plan of images) byImage.set(plan.imageDir, [...(byImage.get(plan.imageDir) ?? []), ...plan.outputs]);
  for (const outputs of byImage.values()) checkDistinct(outputs);

  return {
    command: {
      triple: targetTriple(config.arch),
      bins: [...bins],
      examples: [...examples],
      packages: [...packages],
      features: [...features],
      profile: config.profile,
    },
    images,
  };
}

// ---------------------------------------------------------------------------------------------
// Running cargo.

interface Attempt {
  code: number;
  scanner: CargoFailureScanner;
  artifacts: CargoArtifacts;
}

async function runCargoOnce(argv: string[], options: CargoRunOptions, env: NodeJS.ProcessEnv): Promise<Attempt> {
  const scanner = new CargoFailureScanner();
  const reader = new CargoMessageReader(options.mapPath);
  options.onOutput?.(`$ ${shellQuote(argv)}`);
  const result = await spawnLines(argv[0]!, argv.slice(1), {
    cwd: options.root,
    env,
    notFoundHint: 'install Rust (https://rustup.rs), or set the cargo command',
    onLine: (line, stream) => {
      if (stream === 'stdout' && reader.feed(line)) return;
      scanner.feed(line);
      options.onOutput?.(line);
    },
  });
  return { code: result.code, scanner, artifacts: reader.artifacts };
}

/**
 * Runs the one `cargo build` of a plan. A failure that mzbuild knows for corrupted incremental
 * state or a compiler crash removes the target triple's directory and builds once more; any other
 * failure is a UserError (cargo's diagnostics have gone to `onOutput`).
 */
export async function runCargo(plan: CargoBuildPlan, options: CargoRunOptions): Promise<CargoArtifacts> {
  const argv = [...(options.cargoCommand ?? ['cargo']), ...cargoBuildArgs(plan.command)];
  const env = cargoEnv(options.config, options.env);
  const { triple } = plan.command;
  const host = options.hostArch ?? hostArchOf(process.arch);
  const crossCompiling = options.config.arch !== host;

  const first = await runCargoOnce(argv, options, env);
  if (first.code === 0) return first.artifacts;
  const failure = first.scanner.failure(crossCompiling);
  if (failure.kind !== 'incremental') throw cargoFailure(failure, first.code, options.config, host);

  const dirs = tripleDirsToClear(options, env, triple, first.artifacts);
  const shown = dirs.map((dir) => displayPath(options.root, dir)).join(' and ');
  options.onOutput?.(
    `note: cargo failed with a sign of corrupted incremental state or a compiler crash (${JSON.stringify(failure.marker)}); ` +
      `removing ${shown} and building once more`,
  );
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });

  const second = await runCargoOnce(argv, options, env);
  if (second.code === 0) return second.artifacts;
  const again = second.scanner.failure(crossCompiling);
  if (again.kind !== 'incremental') throw cargoFailure(again, second.code, options.config, host);
  throw new UserError(
    `cargo build failed again (exit ${second.code}) after removing ${shown}: the output still says ${JSON.stringify(again.marker)}, ` +
      `so this is not (only) stale incremental state; it may be a compiler bug or a real link error: see the diagnostics above`,
  );
}

/** `<target>/<triple>` as the environment sets the target directory, and any other such directory cargo reported. */
function tripleDirsToClear(options: CargoRunOptions, env: NodeJS.ProcessEnv, triple: string, artifacts: CargoArtifacts): string[] {
  const mapPath = options.mapPath ?? ((path: string) => path);
  const dirs = new Set([mapPath(join(targetDirectory(options.root, env), triple))]);
  for (const path of artifacts.paths) {
    const dir = tripleDirOf(path, triple);
    // Only a directory in some target directory, never one at the top of the file system.
    if (dir !== undefined && isAbsolute(dir) && dirname(dir) !== '/') dirs.add(dir);
  }
  return [...dirs];
}

function cargoFailure(failure: CargoFailure, code: number, config: FingerprintConfig, host: Arch | undefined): UserError {
  const crossCompiling = config.arch !== host;
  const triple = targetTriple(config.arch);
  switch (failure.kind) {
    case 'missing-profile':
      return new UserError(
        `Cargo.toml has no [profile.${failure.profile}]; add one, e.g. \`[profile.${failure.profile}]\ninherits = "release"\``,
      );
    case 'missing-target': {
      const missing = failure.triple ?? triple;
      const cross = crossCompiling ? `; ${crossLinkerAdvice(config.arch, triple, host)}` : '';
      return new UserError(`the Rust target ${missing} is not installed: run \`rustup target add ${missing}\`${cross}`);
    }
    case 'stale-lockfile':
      return new UserError(
        'Cargo.lock is missing or out of date, and it is an input of every Rust image\'s fingerprint: ' +
          'run `cargo update --workspace` (or `cargo generate-lockfile`), then build again',
      );
    case 'cross-linker':
      return new UserError(`cargo build failed (exit ${code}) linking for ${triple}: ${crossLinkerAdvice(config.arch, triple, host)}`);
    default:
      return new UserError(`cargo build failed (exit ${code}); its diagnostics are above`);
  }
}

export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Loads the Cargo workspace on first use, once. */
export function lazyWorkspace(root: string): () => CargoWorkspace {
  let workspace: CargoWorkspace | undefined;
  return () => (workspace ??= loadCargoWorkspace(root));
}
