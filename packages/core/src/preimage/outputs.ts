/** Where pre-image outputs may go: inside their image directory, distinct, and ignored by git (checked before anything is built). */
import { posix } from 'node:path';
import { UserError } from '../errors';
import { runGit } from '../git';
import { spawnLines } from '../process/spawn';

/**
 * A file or directory a pre-image writes into an image directory. Outputs must be ignored by git
 * and not tracked: otherwise `git status` shows them and, since the fingerprint hashes the
 * git-visible files of the image directory, the image's own tag changes when it is built.
 */
export interface OutputPath {
  /** The manifest that asks for it, root-relative (`<imageDir>/mzbuild.yml`), for errors. */
  manifest: string;
  /** Root-relative image directory. */
  imageDir: string;
  /** Root-relative path, strictly inside `imageDir`. */
  path: string;
  /** What to add to `<imageDir>/.gitignore`, e.g. `/name`. */
  ignoreAs: string;
  /**
   * The output may be a directory (an `extract` destination, whose kind is known only after the
   * build): a directory-only pattern (`/name/`) is then enough.
   */
  mayBeDirectory?: boolean;
}

export const manifestOf = (imageDir: string): string => `${imageDir}/mzbuild.yml`;

/**
 * `dir/rel` normalised, if it lies strictly inside `dir` (root-relative, POSIX); undefined when
 * `rel` is absolute or climbs out of `dir`, or names `dir` itself (unless `allowSelf`).
 */
export function pathInside(dir: string, rel: string, allowSelf = false): string | undefined {
  if (rel.startsWith('/')) return undefined;
  const joined = posix.normalize(dir === '' ? rel || '.' : `${dir}/${rel}`).replace(/\/+$/, '');
  const path = joined === '.' ? '' : joined;
  if (path === dir) return allowSelf ? path : undefined;
  if (path === '..' || path.startsWith('../')) return undefined;
  return dir === '' || path.startsWith(`${dir}/`) ? path : undefined;
}

/** `/rel` for a root-relative path inside `imageDir`: the `.gitignore` line that ignores it. */
export function ignoreLine(imageDir: string, path: string): string {
  return `/${path.slice(imageDir.length + 1)}`;
}

/** Two outputs of one image at the same path, or one inside the other, would overwrite each other. */
export function checkDistinct(outputs: OutputPath[]): void {
  const byPath = new Map<string, OutputPath>();
  const errors: string[] = [];
  for (const output of outputs) {
    const clash = ancestorsAndSelf(output.path).find((path) => byPath.has(path));
    const under = [...byPath.keys()].find((path) => path.startsWith(`${output.path}/`));
    if (clash !== undefined || under !== undefined) {
      errors.push(`${output.manifest}: two outputs at ${clash ?? under} and ${output.path}: one would overwrite the other`);
    }
    byPath.set(output.path, output);
  }
  if (errors.length > 0) throw new UserError(errors.join('\n'));
}

function ancestorsAndSelf(path: string): string[] {
  const paths = [path];
  for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) paths.push(path.slice(0, slash));
  return paths;
}

/**
 * The given root-relative paths that git's ignore rules exclude, whether or not they exist and
 * whether or not they are tracked: `git check-ignore --no-index`, in one call.
 */
export async function ignoredPaths(root: string, paths: string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  let stderr = '';
  const result = await spawnLines('git', ['check-ignore', '--no-index', '--stdin', '-z'], {
    cwd: root,
    input: paths.map((path) => `${path}\0`).join(''),
    captureStdout: true,
    onLine: (line, stream) => {
      if (stream === 'stderr') stderr += `${line}\n`;
    },
    notFoundHint: 'install git (apt-get install git)',
  });
  // 0: some are ignored; 1: none is.
  if (result.code !== 0 && result.code !== 1) {
    throw new UserError(`git check-ignore failed in ${root}: ${stderr.trim() || `exit ${result.code}`}`);
  }
  return new Set(result.stdout!.split('\0').filter((path) => path !== ''));
}

/**
 * Checks, before anything is built, that every output is ignored by git and that git tracks no file
 * at or under it. `visibleFiles` (the git-visible files, tracked and untracked-not-ignored) spares
 * asking git for the tracked files; a visible file at or under an ignored output can only be tracked.
 */
export async function checkOutputsIgnored(root: string, outputs: OutputPath[], visibleFiles?: Set<string>): Promise<void> {
  if (outputs.length === 0) return;
  const queries = outputs.flatMap((output) => (output.mayBeDirectory ? [output.path, `${output.path}/`] : [output.path]));
  const [ignored, tracked] = await Promise.all([
    ignoredPaths(root, queries),
    visibleFiles ?? trackedFilesUnder(root, [...new Set(outputs.map((output) => output.imageDir))]),
  ]);

  const byPath = new Map(outputs.map((output) => [output.path, output]));
  const trackedUnder = new Map<string, string[]>();
  for (const file of tracked) {
    for (const path of ancestorsAndSelf(file)) {
      if (byPath.has(path)) {
        const files = trackedUnder.get(path) ?? [];
        files.push(file);
        trackedUnder.set(path, files);
      }
    }
  }

  const isIgnored = (output: OutputPath) => ignored.has(output.path) || (output.mayBeDirectory === true && ignored.has(`${output.path}/`));
  const errors: string[] = [];
  // Outputs that one ignore line would cover (the files of a copy destination) make one error.
  const exposed = new Map<string, OutputPath[]>();
  for (const output of outputs) {
    if (isIgnored(output)) continue;
    const key = `${output.manifest}\0${output.ignoreAs}`;
    exposed.set(key, [...(exposed.get(key) ?? []), output]);
  }
  for (const [first, ...others] of exposed.values()) {
    const more = others.length > 0 ? ` (and ${others.length} more)` : '';
    errors.push(
      `${first!.manifest}: the build writes ${first!.path}${more}, which git does not ignore: it would show in \`git status\` ` +
        `and change the image's fingerprint; add \`${first!.ignoreAs}\` to ${first!.imageDir}/.gitignore`,
    );
  }
  for (const output of outputs) {
    const files = trackedUnder.get(output.path);
    if (files && isIgnored(output)) {
      const first = files.sort()[0]!;
      const more = files.length > 1 ? ` (and ${files.length - 1} more)` : '';
      errors.push(
        `${output.manifest}: the build would overwrite ${first}${more}, which git tracks; ` +
          `remove it from git (\`git rm -r --cached ${output.path}\`), keeping \`${output.ignoreAs}\` in ${output.imageDir}/.gitignore`,
      );
    }
  }
  if (errors.length > 0) throw new UserError(errors.join('\n'));
}

/** Tracked files under the given directories (root-relative, literal). */
async function trackedFilesUnder(root: string, dirs: string[]): Promise<string[]> {
  const listing = await runGit(root, ['ls-files', '--cached', '-z', '--', ...dirs.map((dir) => `:(literal)${dir}`)]);
  return listing.split('\0').filter((file) => file !== '');
}
