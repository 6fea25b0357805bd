/**
 * cargo's own reading of the workspace (the `correct` fingerprint mode): members with globs as
 * cargo expands them, less `exclude`; the root package; path dependencies inside the workspace as
 * members too; `[patch]` and `[replace]` crates. Checked against `cargo metadata` in the tests.
 */
import { UserError } from '../errors';
import { normaliseDir, within } from '../paths';
import { excludedGlobCrateDirs, isTable, type CrateReader } from './crate';
import type { CargoFiles, CargoViewData } from './workspace';

export function correctView(reader: CrateReader): CargoViewData {
  const { config, files } = reader;
  const workspace = isTable(config['workspace']) ? config['workspace'] : undefined;
  if (!workspace && !isTable(config['package'])) {
    throw new UserError('Cargo.toml: has neither a [workspace] nor a [package] table; cargo cannot build from it');
  }
  const excludes = stringList(workspace?.['exclude'], 'exclude').map(normaliseDir);
  const excluded = (dir: string) => excludes.some((path) => path === '' || dir === path || dir.startsWith(`${path}/`));

  const members: string[] = [];
  const addMember = (dir: string) => {
    if (!members.includes(dir)) members.push(dir);
  };
  if (isTable(config['package'])) addMember(reader.crate('').dir);
  for (const entry of stringList(workspace?.['members'], 'members')) {
    const pattern = normaliseDir(entry);
    if (!isGlob(pattern)) {
      // Named outright, a member stays one even under an excluded path, as cargo has it.
      addMember(crateAt(reader, pattern, `workspace member ${JSON.stringify(entry)}`));
      continue;
    }
    for (const dir of expandGlob(files, pattern)) {
      if (!excluded(dir)) addMember(crateAt(reader, dir, `workspace member ${dir} (from ${JSON.stringify(entry)})`));
    }
  }

  // Every crate a member or a patch reaches by a path inside the repository is read; those the
  // members reach, and not excluded, are members too (cargo: "path dependencies residing in the
  // workspace directory automatically become members"). Paths that leave the repository are
  // errors only for the images whose closure takes them (closure.ts).
  const patches = patchDirs(config).map((dir) => crateAt(reader, dir, 'Cargo.toml: [patch] or [replace] entry'));
  const reached = new Set([...members, ...patches]);
  const queue: [string, boolean][] = [...members.map((dir): [string, boolean] => [dir, true]), ...patches.map((dir): [string, boolean] => [dir, false])];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [dir, isMember] = next;
    const crate = reader.crate(dir);
    for (const path of [...crate.dependencyPaths, ...crate.devDependencyPaths]) {
      if (leavesRepository(path)) continue;
      const becomesMember = isMember && !excluded(path) && !members.includes(path);
      if (!reached.has(path)) {
        crateAt(reader, path, `${within(dir, 'Cargo.toml')}: path dependency ${path}`);
        reached.add(path);
        queue.push([path, becomesMember]);
      }
      if (becomesMember) addMember(path);
    }
  }
  const crateDirs = new Set(reached);
  // What mzbuild's reading partitions by, so that both modes give a crate the same files.
  for (const dir of excludedGlobCrateDirs(reader, workspace?.['exclude'])) crateDirs.add(dir);
  for (const dir of excludes) if (files.exists(within(dir, 'Cargo.toml'))) crateDirs.add(dir);
  return { members, crateDirs: [...crateDirs], patches };
}

export function leavesRepository(path: string): boolean {
  return path === '..' || path.startsWith('../');
}

/** The crate directory `dir`, read; `what` names who points at it when there is no Cargo.toml there. */
function crateAt(reader: CrateReader, dir: string, what: string): string {
  if (!reader.files.exists(within(dir, 'Cargo.toml'))) {
    throw new UserError(`${what}: ${dir === '' ? 'the root' : dir} has no Cargo.toml; cargo cannot load it either`);
  }
  return reader.crate(dir).dir;
}

function stringList(value: unknown, key: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new UserError(`Cargo.toml: [workspace].${key} must be a list of paths`);
  }
  return value as string[];
}

/** The directories `[patch.<source>]` and `[replace]` entries of the root Cargo.toml give. */
function patchDirs(config: Record<string, unknown>): string[] {
  const entries: unknown[] = [];
  if (isTable(config['patch'])) for (const source of Object.values(config['patch'])) if (isTable(source)) entries.push(...Object.values(source));
  if (isTable(config['replace'])) entries.push(...Object.values(config['replace']));
  const dirs: string[] = [];
  for (const entry of entries) {
    if (!isTable(entry) || typeof entry['path'] !== 'string') continue;
    const dir = normaliseDir(entry['path']);
    if (leavesRepository(entry['path']) || entry['path'].startsWith('/')) {
      throw new UserError(`Cargo.toml: [patch] or [replace] path ${entry['path']} leaves the repository, so its files cannot be fingerprinted; move the crate into the repository`);
    }
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

const isGlob = (pattern: string) => /[*?[]/.test(pattern);

/**
 * The directories a member glob matches, as cargo's `glob` crate matches them: component by
 * component, `*` and `?` within a component, `[…]` (`[!…]`) classes, `**` any depth. Written here:
 * the npm glob libraries walk the disk themselves, and this must ask only through `files` (the
 * model cache checks those answers, and the Nx generators read a tree that is not on disk).
 */
export function expandGlob(files: CargoFiles, pattern: string): string[] {
  let found = [''];
  for (const part of pattern.split('/')) {
    const next: string[] = [];
    for (const base of found) {
      if (part === '**') next.push(base, ...descendants(files, base));
      else if (!isGlob(part)) next.push(within(base, part));
      else {
        const matcher = componentMatcher(part);
        for (const name of [...files.list(base)].sort()) if (matcher.test(name)) next.push(within(base, name));
      }
    }
    found = next;
  }
  return [...new Set(found)].filter((dir) => files.isDirectory(dir));
}

/** Directories under `dir`, at any depth; not into .git or target (cargo's own output). */
function descendants(files: CargoFiles, dir: string): string[] {
  const found: string[] = [];
  for (const name of [...files.list(dir)].sort()) {
    const path = within(dir, name);
    if (name === '.git' || name === 'target' || !files.isDirectory(path)) continue;
    found.push(path, ...descendants(files, path));
  }
  return found;
}

function componentMatcher(part: string): RegExp {
  let source = '';
  for (let i = 0; i < part.length; i++) {
    const char = part[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[' && part.indexOf(']', i + 2) > i) {
      const end = part.indexOf(']', i + 2);
      let body = part.slice(i + 1, end);
      const negated = body.startsWith('!');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\^\]]/g, '\\$&')}]`;
      i = end;
    } else source += char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}
