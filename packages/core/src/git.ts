/** git, asked as little as possible: the repository root, the origin remote, and every git-visible file in one listing. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UserError } from './errors';

/** Git's empty tree: diffing the working tree against it lists every tracked file that exists. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

// GIT_OPTIONAL_LOCKS=0 keeps `git diff` from rewriting the user's index while it refreshes stat data.
export const gitEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0' };

/** A git command that failed; `output` is what git said, to tell failures apart by, not the message around it. */
export class GitError extends UserError {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(message);
  }
}

export function runGit(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv, maxBuffer: 1 << 30, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new UserError('git is not installed or not on PATH; install git (apt-get install git)'));
      const output = (stderr || error.message).trim();
      reject(new GitError(`git ${args[0]} failed in ${cwd}: ${output}`, output));
    });
  });
}

/**
 * The top level of the git repository that holds `cwd`. The nearest `.git` answers without
 * starting git, unless GIT_DIR or GIT_WORK_TREE say that the layout is not the usual one.
 */
export async function repositoryRoot(cwd: string): Promise<string> {
  if (process.env['GIT_DIR'] === undefined && process.env['GIT_WORK_TREE'] === undefined) {
    const nearest = nearestRepositoryRoot(cwd);
    if (nearest !== undefined) return nearest;
  }
  try {
    return (await runGit(cwd, ['rev-parse', '--show-toplevel'])).trim();
  } catch (error) {
    // Git says so only in words: it exits 128 for every fatal error.
    if (error instanceof GitError && /not a git repository/i.test(error.output)) {
      throw new UserError(`${cwd} is not inside a git repository; mzbuild finds images and their inputs through git`);
    }
    throw error;
  }
}

/**
 * Every git-visible file of the repository, as root-relative POSIX paths: tracked files that still
 * exist in the working tree, plus untracked files that no ignore rule excludes. This is the union
 * mzbuild takes for each pathspec (spec §1); listing the whole tree once, in two git calls, and
 * selecting in memory gives the same sets for its `dir/**` pathspecs, however many images there are.
 */
export async function listVisibleFiles(root: string): Promise<string[]> {
  const [tracked, untracked] = await Promise.all([
    runGit(root, ['diff', '--name-only', '--no-renames', '--no-ext-diff', '-z', '--relative', EMPTY_TREE, '--']),
    runGit(root, ['ls-files', '--others', '--exclude-standard', '-z', '--']),
  ]);
  const files = new Set<string>();
  for (const listing of [tracked, untracked]) {
    for (const file of listing.split('\0')) {
      // An untracked nested repository is listed as `dir/`: it is not a file, and git says no more of it.
      if (file.trim() !== '' && !file.endsWith('/')) files.add(file);
    }
  }
  return [...files];
}

/** The URL of the `origin` remote, if there is one. */
export async function originUrl(root: string): Promise<string | undefined> {
  try {
    const url = (await runGit(root, ['config', '--get', 'remote.origin.url'])).trim();
    return url === '' ? undefined : url;
  } catch {
    return undefined;
  }
}

/**
 * The git top level above `dir`, found without running git (for the Nx plugin, which must be
 * cheap): the nearest directory with a `.git` entry, a directory or a worktree's file.
 */
export function nearestRepositoryRoot(dir: string): string | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, '.git'))) return current;
    if (dirname(current) === current) return undefined;
  }
}
