import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const MZIMAGE = join(__dirname, '../../packages/core/bin/mzimage');
/** Hash caches of test repositories stay out of the user's cache directory. */
const CACHE_DIR = join(tmpdir(), `mzbuild-test-cache-${process.pid}`);

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
