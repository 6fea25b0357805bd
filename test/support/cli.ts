import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MZIMAGE = join(__dirname, '../../packages/core/bin/mzimage');
/** Hash caches of test repositories stay out of the user's cache directory. */
export const CACHE_DIR = join(tmpdir(), `mzbuild-test-cache-${process.pid}`);

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `mzimage` by its path, as a user of any repository would. */
export function mzimage(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Run {
  if (!existsSync(join(__dirname, '../../packages/core/dist/cli/main.js'))) {
    throw new Error('packages/core is not built: run `npm run build` (npm test does it first)');
  }
  const result = spawnSync(MZIMAGE, args, { cwd, encoding: 'utf8', env: { ...process.env, MZBUILD_CACHE_DIR: CACHE_DIR, ...env } });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * mzimage without blocking this process: for tests that serve something mzimage talks to (a
 * proxy in front of a registry) from the test process itself.
 */
export function mzimageAsync(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(MZIMAGE, args, { cwd, env: { ...process.env, MZBUILD_CACHE_DIR: CACHE_DIR, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
