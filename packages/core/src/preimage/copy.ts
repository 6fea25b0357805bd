/** The copy pre-image, and the file copies that the cargo outputs use too. */
import type { Stats } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readdir, readlink, realpath, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, posix, relative } from 'node:path';
import { UserError } from '../errors';
import type { Copy } from '../manifest';
import { matchesPathspec } from '../pathspec';
import { checkOutputsIgnored, ignoreLine, manifestOf, pathInside, type OutputPath } from './outputs';

/** Replaces `dest` (whatever is there) with a copy of the regular file `source`, with `mode`. */
export async function installFile(source: string, dest: string, mode: number): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dirname(dest), { recursive: true });
  await copyFile(source, dest);
  await chmod(dest, mode);
}

/**
 * `cp -R source dest` into a fresh `dest`: whatever is at `dest` is removed first, so that a
 * directory is replaced rather than copied into. Modes are kept; symbolic links are copied as
 * links, the top one included, as `cp -R` does.
 */
export async function replaceWithCopy(source: string, dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true });
  await mkdir(dirname(dest), { recursive: true });
  await copyTree(source, dest);
}

async function copyTree(source: string, dest: string): Promise<void> {
  const info = await lstat(source);
  if (info.isSymbolicLink()) {
    await symlink(await readlink(source), dest);
  } else if (info.isDirectory()) {
    await mkdir(dest);
    for (const entry of await readdir(source)) await copyTree(join(source, entry), join(dest, entry));
    await chmod(dest, info.mode & 0o7777);
  } else if (info.isFile()) {
    await copyFile(source, dest);
    await chmod(dest, info.mode & 0o7777);
  }
  // Sockets, FIFOs and devices have no place in a Docker context: skipped, as `git` would.
}

export interface CopyOptions {
  /** Repository root (absolute). */
  root: string;
  /** Root-relative git-visible files: what `git ls-files` under `source` would list. */
  files: string[];
  /** Root-relative git-visible files, to check outputs (see checkOutputsIgnored); defaults to `files`. */
  visibleFiles?: Set<string>;
  onOutput?: (line: string) => void;
}

/** The files a copy step takes (root-relative) and where each goes (root-relative). */
export interface CopyPlan {
  manifest: string;
  imageDir: string;
  copies: { from: string; to: string }[];
  outputs: OutputPath[];
}

/**
 * Checks a copy step's paths and selects its files: git-visible files under `source` matching
 * `matching` (a pathspec relative to `source`, as mzbuild runs `git ls-files` there).
 */
export function planCopy(givenImageDir: string, step: Copy, files: string[]): CopyPlan {
  const imageDir = pathInside('', givenImageDir);
  const manifest = manifestOf(imageDir || givenImageDir);
  if (imageDir === undefined || imageDir === '') {
    throw new UserError(`${manifest}: the image directory ${givenImageDir} is not a directory inside the repository`);
  }
  const source = pathInside('', step.source, true);
  if (source === undefined) {
    throw new UserError(`${manifest}: copy source ${step.source} is outside the repository; it must be a directory relative to the repository root`);
  }
  const destination = pathInside(imageDir, step.destination, true);
  if (destination === undefined) {
    throw new UserError(
      `${manifest}: copy destination ${step.destination} is outside the image directory ${imageDir}; it must be a directory relative to it`,
    );
  }
  const prefix = source === '' ? '' : `${source}/`;
  const copies: CopyPlan['copies'] = [];
  for (const file of files) {
    if (!file.startsWith(prefix)) continue;
    const rel = file.slice(prefix.length);
    if (!matchesPathspec(step.matching, rel)) continue;
    copies.push({ from: file, to: destination === '' ? rel : `${destination}/${rel}` });
  }
  copies.sort((a, b) => (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
  // A destination directory is ignored as a whole (`/dest`); files copied into the image
  // directory itself each need their own line.
  const ignoreAs = (to: string) => ignoreLine(imageDir, destination === imageDir ? to : destination);
  return {
    manifest,
    imageDir,
    copies,
    outputs: copies.map(({ to }) => ({ manifest, imageDir, path: to, ignoreAs: ignoreAs(to) })),
  };
}

/** Copies the files of a copy pre-image into the image directory; outputs are checked first. */
export async function runCopyStep(imageDir: string, step: Copy, options: CopyOptions): Promise<void> {
  const plan = planCopy(imageDir, step, options.files);
  await checkOutputsIgnored(options.root, plan.outputs, options.visibleFiles ?? new Set(options.files));
  const realRoot = await realpath(options.root);
  let copied = 0;
  for (const { from, to } of plan.copies) {
    const source = join(options.root, from);
    let real: string;
    let info: Stats;
    try {
      real = await realpath(source);
      info = await stat(real);
    } catch {
      throw new UserError(`${plan.manifest}: copy: ${from} cannot be read (a dangling symbolic link, or removed since git listed it)`);
    }
    // A submodule is listed as one entry, a directory: it is not a file to copy.
    if (!info.isFile()) continue;
    const rel = relative(realRoot, real);
    if (rel === '' || rel.startsWith('..') || posix.isAbsolute(rel)) {
      throw new UserError(`${plan.manifest}: copy: ${from} is a symbolic link to ${real}, outside the repository`);
    }
    await installFile(real, join(options.root, to), info.mode & 0o7777);
    copied++;
  }
  options.onOutput?.(`copied ${copied} file${copied === 1 ? '' : 's'} from ${step.source} into ${plan.imageDir}`);
}
