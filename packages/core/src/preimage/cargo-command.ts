/** The one `cargo build` as mzbuild runs it: the request, the options, the arguments and the environment. */
import { isAbsolute, relative, resolve } from 'node:path';
import { loadCargoWorkspace, type CargoWorkspace } from '../cargo';
import type { Arch, Compat, FingerprintConfig, Profile } from '../config';
import type { CargoBuild } from '../manifest';
import { withoutBuildSettings } from './build-settings';

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
 * The environment cargo runs in: the user's, with `extra` on top, less in the correct mode the
 * variables that change builds unseen (build-settings.ts); a coverage build adds
 * `-Cinstrument-coverage` to the Rust flags, as mzbuild does.
 */
export function cargoEnv(config: FingerprintConfig, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const given: NodeJS.ProcessEnv = { ...process.env, ...extra };
  const env = config.compat === 'correct' ? withoutBuildSettings(given) : given;
  if (config.coverage) {
    const flag = '-Cinstrument-coverage';
    if (env['CARGO_ENCODED_RUSTFLAGS']) env['CARGO_ENCODED_RUSTFLAGS'] += `\x1f${flag}`;
    else env['RUSTFLAGS'] = env['RUSTFLAGS'] ? `${env['RUSTFLAGS']} ${flag}` : flag;
  }
  return env;
}

/** Cargo's target directory as the environment sets it (`CARGO_TARGET_DIR`, `CARGO_BUILD_TARGET_DIR`), else `<root>/target`. */
export function targetDirectory(root: string, env: NodeJS.ProcessEnv): string {
  const dir = env['CARGO_TARGET_DIR'] || env['CARGO_BUILD_TARGET_DIR'] || 'target';
  return resolve(root, dir);
}

export function displayPath(root: string, path: string): string {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Loads the Cargo workspace on first use, once. */
export function lazyWorkspace(root: string, mode: Compat): () => CargoWorkspace {
  let workspace: CargoWorkspace | undefined;
  return () => (workspace ??= loadCargoWorkspace(root, mode));
}
