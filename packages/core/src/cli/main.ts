/** The `mzimage` command: parses the arguments, runs the command, and turns errors into exit codes. */
import { loadContext } from '../context';
import { isUserError } from '../errors';
import { SaidWarnings } from '../said-warnings';
import { timings } from '../timings';
import { parseInvocation, USAGE, UsageError } from './args';
import { runCommand } from './commands';
import { keygen } from './keygen';
import { stopChildren } from '../process/spawn';
import { constants } from 'node:os';

// The same relative path from src/cli (bundled: esbuild inlines it) and from dist/cli.
const { version: VERSION } = require('../../package.json') as { version: string };

const IMAGE_COMMANDS = new Set(['plan', 'acquire', 'run', 'ensure', 'publish-multiarch']);

/**
 * Runs `mzimage` and returns its exit code: 0, 1 for an error of the user's, 2 for bad usage.
 * `loadStartedAt` is when the bin script began loading the CLI (performance.now()), for
 * MZBUILD_TIMINGS.
 */
export async function main(argv: string[], cwd = process.cwd(), loadStartedAt?: number): Promise<number> {
  if (loadStartedAt !== undefined) timings.add('module load', performance.now() - loadStartedAt);
  stopWhenOutputCloses();
  try {
    return await run(argv, cwd);
  } finally {
    process.stderr.write(timings.report());
  }
}

async function run(argv: string[], cwd: string): Promise<number> {
  try {
    const invocation = parseInvocation(argv);
    if (invocation === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (invocation === 'version') {
      process.stdout.write(`mzimage ${VERSION}\n`);
      return 0;
    }
    // keygen needs no repository: a key pair may be made anywhere.
    if (invocation.command === 'keygen') {
      process.stdout.write(await keygen(invocation, cwd, process.env));
      return 0;
    }
    // The cache server reads the configuration, not the repository's images: loaded only for it.
    if (invocation.command === 'cache-server') {
      const { cacheServer } = require('./cache-server') as typeof import('./cache-server');
      return await cacheServer(invocation, cwd, process.env);
    }
    const warn = (message: string) => process.stderr.write(`mzimage: warning: ${message}\n`);
    const context = await loadContext({ cwd, flags: invocation.flags, warn, hashingThread: true, persistentCache: true, ...(invocation.rev === undefined ? {} : { rev: invocation.rev }) });
    // A warning that every run repeats teaches users to ignore warnings: each is said once per
    // change of its manifest, and `list --check` says them all.
    const all = context.repository.warnings;
    const warnings = invocation.check || all.length === 0 ? all : freshWarnings(context, all);
    for (const warning of warnings) process.stderr.write(`mzimage: ${warning}\n`);
    if (invocation.check && warnings.length > 0) {
      process.stdout.write(await runCommand(context, invocation));
      return 1;
    }
    if (IMAGE_COMMANDS.has(invocation.command)) {
      // The registry client and the builders: loaded (and, in the bundle, read) only for these commands.
      const { runImageCommand } = timings.time('module load', () => require('./acquire') as typeof import('./acquire'));
      try {
        return await runImageCommand(context, invocation);
      } finally {
        // Saves the signatures verified this run, and lets the connections go.
        await context.close();
      }
    }
    const output =
      invocation.command === 'explain'
        ? await (require('./explain') as typeof import('./explain')).explainCommand(context, invocation)
        : await runCommand(context, invocation);
    timings.time('output', () => process.stdout.write(output));
    timings.time('caches', () => context.resolver.saveCache());
    return 0;
  } catch (error) {
    if (!isUserError(error)) throw error;
    for (const line of error.message.split('\n')) process.stderr.write(`mzimage: ${line}\n`);
    if (error instanceof UsageError) {
      process.stderr.write(`run 'mzimage --help' for usage\n`);
      return 2;
    }
    return 1;
  }
}

/** The warnings not said since their manifests changed; they count as said now. The store is read only when there are warnings. */
function freshWarnings(context: { repository: { root: string }; env: NodeJS.ProcessEnv }, warnings: string[]): string[] {
  const said = SaidWarnings.forRepository(context.repository.root, context.env);
  const fresh = said.fresh(warnings);
  said.save();
  return fresh;
}

let watching = false;

/**
 * When the reader of the output goes away (`mzimage fingerprint --all | head -2`), the command
 * stops at once and quietly, with the status a shell gives a command that SIGPIPE ended, as other
 * CLIs do. What it was doing stops with it: children are ended, and nothing is left half-done,
 * since every tag is written last and every cache file is replaced by a rename.
 */
function stopWhenOutputCloses(): void {
  if (watching) return;
  watching = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stopChildren();
      process.exit(128 + constants.signals.SIGPIPE);
    });
  }
}

