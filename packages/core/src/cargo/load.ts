/** Reads the Cargo workspace model from the TOML files, as mzbuild's cargo.py does. */
import { located, UserError } from '../errors';
import { normaliseDir } from '../paths';
import { diskCargoFiles, type CargoFiles, type CargoWorkspace, type Crate } from './workspace';

// smol-toml declares only ES module types, but ships a CommonJS build under its `require` condition.
type SmolToml = typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });
const { parse, TomlError } = require('smol-toml') as SmolToml;

type Table = Record<string, unknown>;

function readToml(files: CargoFiles, file: string): Table {
  const text = files.read(file);
  if (text === undefined) throw new UserError(`${file}: cannot be read (is the path in the workspace's members right?)`);
  try {
    return parse(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      throw new UserError(located(file, error.line, error.column, `invalid TOML: ${error.message.split('\n')[0]}`));
    }
    throw error;
  }
}

const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);

export function loadCargoWorkspace(root: string, files: CargoFiles = diskCargoFiles(root)): CargoWorkspace {
  if (!files.exists('Cargo.toml')) {
    throw new UserError('Cargo.toml: not found at the repository root; images with a cargo-build pre-image need a Cargo workspace there');
  }
  const config = readToml(files, 'Cargo.toml');
  const workspace = config['workspace'];
  if (!isTable(workspace) || !Array.isArray(workspace['members'])) {
    throw new UserError('Cargo.toml: needs a [workspace] table with a `members` list of crate directories');
  }
  const members = new Map<string, Crate>();
  const crateDirs = new Set<string>();
  for (const member of workspace['members']) {
    if (typeof member !== 'string' || /[*?[]/.test(member)) {
      throw new UserError(
        `Cargo.toml: workspace member ${JSON.stringify(member)} is not a plain directory; mzbuild reads members literally, so list each crate directory`,
      );
    }
    const crate = loadCrate(files, normaliseDir(member));
    members.set(crate.name, crate);
    crateDirs.add(crate.dir);
  }
  for (const dir of excludedCrateDirs(files, workspace['exclude'])) crateDirs.add(dir);
  return { members, crateDirs: [...crateDirs] };
}

/** `exclude` entries ending in `*` name their subdirectories that hold a Cargo.toml; others are ignored. */
function excludedCrateDirs(files: CargoFiles, exclude: unknown): string[] {
  if (!Array.isArray(exclude)) return [];
  const dirs: string[] = [];
  for (const pattern of exclude) {
    if (typeof pattern !== 'string' || !pattern.endsWith('*')) continue;
    const parent = normaliseDir(pattern.replace(/\*+$/, ''));
    for (const entry of files.list(parent)) {
      const dir = parent === '' ? entry : `${parent}/${entry}`;
      if (files.isDirectory(dir) && files.exists(`${dir}/Cargo.toml`)) {
        dirs.push(loadCrate(files, dir).dir);
      }
    }
  }
  return dirs;
}

function loadCrate(files: CargoFiles, dir: string): Crate {
  const file = within(dir, 'Cargo.toml');
  const config = readToml(files, file);
  const pkg = config['package'];
  if (!isTable(pkg) || typeof pkg['name'] !== 'string') {
    throw new UserError(`${file}: needs a [package] table with a \`name\``);
  }
  const name = pkg['name'];
  const targetNames = (key: 'bin' | 'example'): string[] => {
    const targets = config[key];
    if (!Array.isArray(targets)) return [];
    return targets.map((target) => {
      if (!isTable(target) || typeof target['name'] !== 'string') {
        throw new UserError(`${file}: every [[${key}]] needs a \`name\``);
      }
      return target['name'];
    });
  };
  const bins = targetNames('bin');
  if (pkg['autobins'] !== false) {
    if (files.exists(within(dir, 'src/main.rs'))) bins.push(name);
    bins.push(...autoTargets(files, within(dir, 'src/bin')));
  }
  const examples = targetNames('example');
  if (pkg['autoexamples'] !== false) examples.push(...autoTargets(files, within(dir, 'examples')));

  return {
    name,
    dir,
    bins,
    examples,
    pathDependencies: [...new Set([...pathDependencies(config['dependencies']), ...pathDependencies(config['build-dependencies'])])],
    pathDevDependencies: pathDependencies(config['dev-dependencies']),
  };
}

/** `<dir>/*.rs` stems and `<dir>/*\/main.rs` directory names, skipping dot files as Python's glob does. */
function autoTargets(files: CargoFiles, dir: string): string[] {
  const names: string[] = [];
  for (const entry of files.list(dir)) {
    if (entry.startsWith('.')) continue;
    if (entry.endsWith('.rs')) names.push(entry.slice(0, -3));
    else if (files.exists(`${dir}/${entry}/main.rs`)) names.push(entry);
  }
  return names;
}

/** A root-relative path inside a root-relative directory ('' being the root). */
function within(dir: string, path: string): string {
  return dir === '' ? path : `${dir}/${path}`;
}

/** Entries of a top-level dependency table whose value is a table with `path`: `package ?? key`. */
function pathDependencies(table: unknown): string[] {
  if (!isTable(table)) return [];
  const names: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value) && 'path' in value) names.push(typeof value['package'] === 'string' ? value['package'] : key);
  }
  return names;
}
