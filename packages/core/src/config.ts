/** The configuration that salts fingerprints and names registries: flags, then environment, then nx.json, then defaults. */
import { resolve } from 'node:path';
import { UserError } from './errors';

/** Everything that salts a fingerprint (spec §2), and where images are published. */
export const PROFILES = ['dev', 'optimized', 'release'] as const;
export const ARCHES = ['x86_64', 'aarch64'] as const;
export const SANITIZERS = ['none', 'address', 'hwaddress', 'cfi', 'thread', 'leak', 'undefined'] as const;
/**
 * Which inputs a fingerprint reads (docs/fingerprint.md): `correct` closes mzbuild's omissions,
 * `mzbuild` reproduces its fingerprints byte for byte, omissions included. Not a salt: where
 * both read the same inputs, they give the same fingerprint.
 */
export const COMPAT_MODES = ['correct', 'mzbuild'] as const;

export type Profile = (typeof PROFILES)[number];
export type Arch = (typeof ARCHES)[number];
export type Sanitizer = (typeof SANITIZERS)[number];
export type Compat = (typeof COMPAT_MODES)[number];

export interface FingerprintConfig {
  profile: Profile;
  arch: Arch;
  coverage: boolean;
  sanitizer: Sanitizer;
  compat: Compat;
}

export interface Config extends FingerprintConfig {
  /** `ghcr.io/owner/repo`; undefined means local names, `mzbuild/<name>`. */
  registry: string | undefined;
  /** Put before every image name in its reference. */
  imagePrefix: string;
  /** Further registries that publishing pushes to; an image is published when all of them, and `registry`, have it. */
  mirrors: string[];
  /** Absolute paths of the public keys a registry's image must be signed by to be used or counted as published; none: no signatures asked for. */
  trustedKeys: string[];
  /**
   * Where an untrusted job (a pull request's) pushes, instead of `registry` and the mirrors, which
   * it then only reads; images missing from `registry` are looked for here too. Undefined: none.
   */
  cacheRegistry: string | undefined;
  /** Run cargo through sccache: `auto` when sccache is on PATH or RUSTC_WRAPPER is set (decided where cargo runs). */
  sccache: Sccache;
  /** The docker buildx builder that builds images (`docker buildx build --builder`); undefined: the client's own way. */
  builder: string | undefined;
}

/** Whether cargo runs through sccache; it changes how images are built, never what they hold, so it is no fingerprint input. */
export type Sccache = boolean | 'auto';

/** The name under which users register the Nx plugin; its options in nx.json are read here too. */
export const PLUGIN_NAME = '@mzbuild/nx';

/**
 * Plugin options in nx.json that the CLI shares with the plugin, so both compute the same images
 * (checked by sharedOptionsSchema, in config-schema.ts, which loads zod).
 */
export interface SharedOptions {
  registry?: string;
  mirrors?: string[];
  imagePrefix?: string;
  profile?: Profile;
  arch?: Arch;
  coverage?: boolean;
  sanitizer?: Sanitizer;
  compat?: Compat;
  /** Public key files (cosign.pub); in nx.json relative to the workspace root. */
  trustedKeys?: string[];
  /** Where an untrusted job pushes what it builds (a scratch namespace trusted jobs never read). */
  cacheRegistry?: string;
  sccache?: Sccache;
  /** A docker buildx builder to build with; one that cannot load images into an engine (the remote driver) pushes them as it builds. */
  builder?: string;
}

export interface ConfigSources {
  /** Command-line flags or executor options: the strongest source. */
  flags?: SharedOptions;
  env?: NodeJS.ProcessEnv;
  /** The plugin options from nx.json. */
  pluginOptions?: SharedOptions;
  /** The `origin` remote, asked only when nothing else names a registry. */
  originUrl?: () => Promise<string | undefined>;
  /** The host's `process.arch`, for the default architecture. */
  hostArch?: string;
  /** What key paths of flags and the environment are relative to; default process.cwd(). */
  cwd?: string;
  /** What key paths of nx.json are relative to: the workspace root; default `cwd`. */
  root?: string;
}

/** mzbuild's `env_is_truthy`: anything but unset, "", "0", "no" and "false". */
export function envIsTruthy(value: string | undefined): boolean {
  return value !== undefined && !['', '0', 'no', 'false'].includes(value);
}

/** The environment variables that change the configuration: Nx targets take them as inputs. */
export const CONFIG_ENV = [
  'MZBUILD_PROFILE',
  'MZBUILD_ARCH',
  'MZBUILD_REGISTRY',
  'MZBUILD_MIRRORS',
  'MZBUILD_COMPAT',
  'CI_LTO',
  'CI_COVERAGE_ENABLED',
  'CI_SANITIZER',
] as const;

/**
 * The fingerprint mode of the environment and nx.json's options, when no flag names one:
 * `MZBUILD_COMPAT`, then the `compat` option, then `correct`. The Nx plugin infers its inputs
 * by it, so that they follow the mode the executors fingerprint in.
 */
export function compatMode(env: NodeJS.ProcessEnv, options: { compat?: unknown } = {}): Compat {
  const option = COMPAT_MODES.find((mode) => mode === options.compat); // a bad value is the option schema's to report
  return fromEnv(env, 'MZBUILD_COMPAT', COMPAT_MODES) ?? option ?? 'correct';
}

/** Where the trusted keys come from when no flag names them: comma-separated paths. */
export const TRUSTED_KEYS_ENV = 'MZBUILD_TRUSTED_KEYS';

/**
 * Where the cache registry comes from when no flag names it. Not in CONFIG_ENV: it changes where
 * a run pushes, not what any image or reference is.
 */
export const CACHE_REGISTRY_ENV = 'MZBUILD_CACHE_REGISTRY';

/**
 * Resolves the configuration: flags, then the environment (`MZBUILD_PROFILE`, `MZBUILD_ARCH`,
 * `MZBUILD_REGISTRY`, `MZBUILD_COMPAT`, and mzbuild's `CI_LTO`, `CI_COVERAGE_ENABLED`, `CI_SANITIZER`), then
 * nx.json, then defaults (the host's architecture, the GHCR repository of a GitHub `origin`).
 */
export async function resolveConfig(sources: ConfigSources = {}): Promise<Config> {
  const flags = sources.flags ?? {};
  const env = sources.env ?? process.env;
  const options = sources.pluginOptions ?? {};

  const profile =
    flags.profile ??
    fromEnv(env, 'MZBUILD_PROFILE', PROFILES) ??
    (envIsTruthy(env['CI_LTO']) ? 'release' : undefined) ??
    options.profile ??
    'optimized';
  const coverage =
    flags.coverage ??
    (env['CI_COVERAGE_ENABLED'] !== undefined ? envIsTruthy(env['CI_COVERAGE_ENABLED']) : undefined) ??
    options.coverage ??
    false;
  const sanitizer = flags.sanitizer ?? fromEnv(env, 'CI_SANITIZER', SANITIZERS) ?? options.sanitizer ?? 'none';
  const arch = flags.arch ?? fromEnv(env, 'MZBUILD_ARCH', ARCHES) ?? options.arch ?? hostArch(sources.hostArch ?? process.arch);
  const compat = flags.compat ?? compatMode(env, options);

  let registry = flags.registry ?? nonEmpty(env['MZBUILD_REGISTRY']) ?? options.registry;
  if (registry === undefined && sources.originUrl) registry = ghcrRepository(await sources.originUrl());
  return {
    profile,
    arch,
    coverage,
    sanitizer,
    compat,
    registry: registry === undefined ? undefined : registry.replace(/\/+$/, ''),
    imagePrefix: flags.imagePrefix ?? options.imagePrefix ?? '',
    mirrors: (flags.mirrors ?? listFromEnv(env['MZBUILD_MIRRORS']) ?? options.mirrors ?? []).map((r) => r.replace(/\/+$/, '')),
    trustedKeys: trustedKeys(sources, flags, env, options),
    cacheRegistry: (flags.cacheRegistry ?? nonEmpty(env[CACHE_REGISTRY_ENV]) ?? options.cacheRegistry)?.replace(/\/+$/, ''),
    sccache: flags.sccache ?? sccacheFromEnv(env) ?? options.sccache ?? 'auto',
    // Not in CONFIG_ENV either: which builder builds changes where an image is made, not what it holds.
    builder: flags.builder ?? nonEmpty(env['MZBUILD_BUILDER']) ?? options.builder,
  };
}

/**
 * `MZBUILD_SCCACHE`: `auto`, or on (1, true, yes, on) or off (0, false, no, off); empty is unset.
 * Not in CONFIG_ENV: it does not change the images, so Nx must not take it as an input.
 */
function sccacheFromEnv(env: NodeJS.ProcessEnv): Sccache | undefined {
  const value = env['MZBUILD_SCCACHE']?.toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'auto') return 'auto';
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new UserError(`MZBUILD_SCCACHE=${JSON.stringify(env['MZBUILD_SCCACHE'])} is not allowed; use auto, 1 (on) or 0 (off)`);
}

/** The trusted keys, flag > environment > nx.json, each source whole (a flag's keys replace the others, as mirrors do). */
function trustedKeys(sources: ConfigSources, flags: SharedOptions, env: NodeJS.ProcessEnv, options: SharedOptions): string[] {
  const cwd = sources.cwd ?? process.cwd();
  const given = flags.trustedKeys ?? listFromEnv(env[TRUSTED_KEYS_ENV]);
  if (given) return given.map((path) => resolve(cwd, path));
  return (options.trustedKeys ?? []).map((path) => resolve(sources.root ?? cwd, path));
}

function listFromEnv(value: string | undefined): string[] | undefined {
  const items = value?.split(',').map((item) => item.trim()).filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function fromEnv<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[]): T | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UserError(`${name}=${JSON.stringify(value)} is not allowed; use one of ${allowed.join(', ')}`);
}

/** Node's name of an architecture (`process.arch`) in mzbuild's words, if it is one mzbuild builds for. */
export function archOf(nodeArch: string): Arch | undefined {
  return nodeArch === 'x64' ? 'x86_64' : nodeArch === 'arm64' ? 'aarch64' : undefined;
}

/** The default architecture: the host's, which must be one mzbuild builds for. */
export function hostArch(nodeArch: string): Arch {
  const arch = archOf(nodeArch);
  if (arch === undefined) throw new UserError(`the host architecture ${nodeArch} is not one mzbuild builds for; pass --arch x86_64 or --arch aarch64`);
  return arch;
}

/** `ghcr.io/<owner>/<repo>` in lower case, for a GitHub remote URL in any of its forms. */
export function ghcrRepository(url: string | undefined): string | undefined {
  const match = url?.match(/github\.com[:/]+([^/]+)\/([^/]+?)(?:\.git)?\/?$/i);
  return match ? `ghcr.io/${match[1]}/${match[2]}`.toLowerCase() : undefined;
}

/** Local images go under `mzbuild/` when no registry is configured. */
export const LOCAL_REGISTRY = 'mzbuild';

export function imageRepository(config: Pick<Config, 'registry' | 'imagePrefix'>, name: string): string {
  return `${config.registry ?? LOCAL_REGISTRY}/${config.imagePrefix}${name}`;
}

export function imageReference(config: Pick<Config, 'registry' | 'imagePrefix'>, name: string, fingerprint: string): string {
  return `${imageRepository(config, name)}:mzbuild-${fingerprint}`;
}
