// Nx's remote cache for the length of one Nx run: with `remoteCache` in the plugin's options, `mzimage cache-server` is started before the tasks and stopped after them.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { PLUGIN_NAME } from './constants';

/** `remoteCache: true`, or where and how: the same as cache-server's flags. */
export type RemoteCacheOption = boolean | { repository?: string; readFrom?: string[]; maxArtifactSize?: string };

interface HookContext {
  id: string;
  workspaceRoot: string;
  argv: string[];
}

const SERVER_ENV = 'NX_SELF_HOSTED_REMOTE_CACHE_SERVER';
const TOKEN_ENV = 'NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN';
/** Starting is a Node process and one listen: far less, unless the machine is drowning. */
const START_TIMEOUT_MS = 30_000;

/** Servers of the runs under way, by Nx's run id; a daemon's plugin worker serves many runs. */
const servers = new Map<string, { child: ChildProcess; url: string }>();
/** URLs this process set: left in a long-lived worker's environment, they are not the user's own. */
const ours = new Set<string>();

/**
 * Nx 21+'s preTasksExecution: what it sets in process.env, Nx gives the run (from a plugin
 * worker or the daemon too), and it reads NX_SELF_HOSTED_REMOTE_CACHE_SERVER only when the
 * first task asks its cache. A server the user started (the variable set) is left alone, as is
 * a run that skips the cache. A server that cannot start is a warning: the run goes on with its
 * local cache, as it would without one.
 */
export async function preTasksExecution(options: unknown, context: HookContext): Promise<void> {
  const option = (options as { remoteCache?: RemoteCacheOption } | undefined)?.remoteCache;
  if (!option) return;
  const current = process.env[SERVER_ENV];
  if ((current && !ours.has(current)) || skipsCache(context.argv, process.env)) return;
  const token = randomBytes(32).toString('hex');
  const bin = join(dirname(require.resolve('@mzbuild/core/package.json')), 'bin/mzimage');
  const child = spawn(process.execPath, [bin, 'cache-server', '--listen', '127.0.0.1:0', '--until-stdin-closes', ...flagsOf(option)], {
    cwd: context.workspaceRoot,
    env: { ...process.env, MZBUILD_CACHE_TOKEN: token },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Its warnings are the run's: said as they come, with Nx's output.
  child.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  let url: string;
  try {
    url = await firstLine(child);
  } catch (error) {
    child.stdin!.end();
    child.kill();
    process.stderr.write(`${PLUGIN_NAME}: remoteCache: the cache server did not start (${(error as Error).message}); this run uses the local cache only\n`);
    return;
  }
  servers.set(context.id, { child, url });
  ours.add(url);
  process.env[SERVER_ENV] = url;
  process.env[TOKEN_ENV] = token;
}

/** Nx 21+'s postTasksExecution: the run's server stopped, once the stores Nx waited for are done. */
export async function postTasksExecution(_options: unknown, context: { id: string }): Promise<void> {
  const server = servers.get(context.id);
  if (!server) return;
  servers.delete(context.id);
  if (process.env[SERVER_ENV] === server.url) {
    delete process.env[SERVER_ENV];
    delete process.env[TOKEN_ENV];
  }
  await stop(server.child);
}

function flagsOf(option: RemoteCacheOption): string[] {
  if (typeof option === 'boolean') return [];
  const flags: string[] = [];
  if (option.repository) flags.push('--cache-repository', option.repository);
  for (const repository of option.readFrom ?? []) flags.push('--cache-read-from', repository);
  if (option.maxArtifactSize) flags.push('--max-artifact-size', option.maxArtifactSize);
  return flags;
}

function skipsCache(argv: string[], env: NodeJS.ProcessEnv): boolean {
  if (argv.includes('--skip-nx-cache') || argv.includes('--skip-remote-cache')) return true;
  return env['NX_SKIP_NX_CACHE'] === 'true' || env['NX_DISABLE_NX_CACHE'] === 'true' || env['NX_SKIP_REMOTE_CACHE'] === 'true';
}

/** The URL the server prints first; an exit or a timeout first is its failure, told by its last words. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no URL within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.stderr!.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-2000)));
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const end = out.indexOf('\n');
      if (end < 0) return;
      clearTimeout(timer);
      resolve(out.slice(0, end).trim());
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const said = err.trim().split('\n').pop()?.replace(/^mzimage: /, '');
      reject(new Error(said || `it exited with ${code}`));
    });
  });
}

/** Closing its standard input stops it after the requests under way; one that does not go is ended. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin!.end();
  const timer = setTimeout(() => child.kill(), 10_000);
  await exited;
  clearTimeout(timer);
}
