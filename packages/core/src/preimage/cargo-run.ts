/** Running the one cargo build: cargo's output read as it comes, a retry after corrupted incremental state, failures worded. */
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { archOf, type Arch, type FingerprintConfig } from '../config';
import { UserError } from '../errors';
import { shellQuote, spawnLines } from '../process/spawn';
import { buildSettingsIn } from './build-settings';
import { cargoBuildArgs, cargoEnv, displayPath, targetDirectory, targetTriple, type CargoRunOptions } from './cargo-command';
import { CargoMessageReader, tripleDirOf, type CargoArtifacts } from './cargo-messages';
import type { CargoBuildPlan } from './cargo-plan';
import { CargoFailureScanner, crossLinkerAdvice, type CargoFailure } from './rust-failures';

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
  const host = options.hostArch ?? archOf(process.arch);
  const crossCompiling = options.config.arch !== host;

  if (options.config.compat === 'correct') {
    const cleared = buildSettingsIn({ ...process.env, ...options.env });
    if (cleared.length > 0) {
      options.onOutput?.(
        `note: ${cleared.join(', ')} ${cleared.length === 1 ? 'is' : 'are'} not passed to cargo: the fingerprint does not read the environment; ` +
          'put build settings in .cargo/config.toml or rust-toolchain.toml, which it reads (or use --compat mzbuild)',
      );
    }
  }
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
