/**
 * The environment variables through which a machine would change what cargo builds without the
 * fingerprint seeing it: in the correct fingerprint mode they are cleared for the build, rather
 * than made inputs, so that an image is the same on a laptop and in CI. What is meant to change
 * builds belongs in `.cargo/config.toml` or `rust-toolchain.toml`, which are inputs.
 */

/** By exact name: the Rust flags in all their spellings, the compiler and the toolchain override. */
const CLEARED = new Set(['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_RUSTFLAGS', 'RUSTC', 'CARGO_BUILD_RUSTC', 'RUSTUP_TOOLCHAIN']);

/**
 * By prefix: profile settings (`CARGO_PROFILE_<NAME>_OPT_LEVEL`, …) and per-target ones
 * (`CARGO_TARGET_<TRIPLE>_RUSTFLAGS`, `_LINKER`, …). Not `CARGO_TARGET_DIR`: where outputs go
 * changes no output.
 */
const CLEARED_PREFIXES = ['CARGO_PROFILE_', 'CARGO_TARGET_'];
const KEPT = new Set(['CARGO_TARGET_DIR']);

/** The names among `env`'s set variables that the build clears, sorted. */
export function buildSettingsIn(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => env[name] !== undefined && isBuildSetting(name))
    .sort();
}

/** `env` without the variables the build clears. */
export function withoutBuildSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isBuildSetting(name)));
}

function isBuildSetting(name: string): boolean {
  return CLEARED.has(name) || (!KEPT.has(name) && CLEARED_PREFIXES.some((prefix) => name.startsWith(prefix)));
}
