/** Reads crates' Cargo.toml files, each once: name, binaries, examples, and path dependencies as each fingerprint mode follows them. */
import { posix } from 'node:path';
import { located, UserError } from '../errors';
import { normaliseDir, within } from '../paths';
import type { CargoFiles, Crate } from './workspace';

// smol-toml declares only ES module types, but ships a CommonJS build under its `require` condition.
type SmolToml = typeof import('smol-toml', { with: { 'resolution-mode': 'import' } });
const { parse, TomlError } = require('smol-toml') as SmolToml;

export type Table = Record<string, unknown>;

export const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readToml(files: CargoFiles, file: string): Table {
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

/**
 * Where a `path` written in the Cargo.toml of `dir` points, root-relative and normalised; `../…`
 * when it leaves the repository. `root` is the repository's absolute path, for absolute paths.
 */
export function resolvePath(root: string, dir: string, path: string): string {
  const joined = posix.isAbsolute(path) ? posix.relative(root, path) : posix.join(dir === '' ? '.' : dir, path);
  const normal = posix.normalize(joined).replace(/\/+$/, '');
  return normal === '.' ? '' : normal;
}

/** The workspace's `[workspace.dependencies]` that are path dependencies: key → root-relative directory. */
export function workspacePathDependencies(root: string, workspace: Table | undefined): Map<string, string> {
  const found = new Map<string, string>();
  const table = workspace?.['dependencies'];
  if (!isTable(table)) return found;
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value) && typeof value['path'] === 'string') found.set(key, resolvePath(root, '', value['path']));
  }
  return found;
}

// Cargo still reads the underscore spellings (deprecated, removed in the 2024 edition).
const NORMAL_TABLES = ['dependencies', 'build-dependencies', 'build_dependencies'];
const DEV_TABLES = ['dev-dependencies', 'dev_dependencies'];

/** Reads the crate in `dir`; `workspaceDeps` resolves its `workspace = true` dependencies (correct mode). */
export function readCrate(files: CargoFiles, root: string, dir: string, workspaceDeps: Map<string, string>): Crate {
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

  // cargo's view: every table that declares dependencies, `[target.<cfg>]` ones included.
  const targetTables = isTable(config['target']) ? Object.values(config['target']).filter(isTable) : [];
  const scopes = [config, ...targetTables];
  const paths = (names: string[]) => [
    ...new Set(scopes.flatMap((scope) => names.flatMap((table) => dependencyPaths(root, dir, scope[table], workspaceDeps)))),
  ];
  return {
    name,
    dir,
    bins,
    examples,
    pathDependencies: [...new Set([...namedPathDependencies(config['dependencies']), ...namedPathDependencies(config['build-dependencies'])])],
    pathDevDependencies: namedPathDependencies(config['dev-dependencies']),
    dependencyPaths: paths(NORMAL_TABLES),
    devDependencyPaths: paths(DEV_TABLES),
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

/** mzbuild's reading: entries of a top-level table whose value is a table with `path`, as `package ?? key`. */
function namedPathDependencies(table: unknown): string[] {
  if (!isTable(table)) return [];
  const names: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (isTable(value) && 'path' in value) names.push(typeof value['package'] === 'string' ? value['package'] : key);
  }
  return names;
}

/**
 * cargo's reading: the directory of each entry with a `path` (relative to the crate), and of each
 * `workspace = true` entry whose `[workspace.dependencies]` entry has one (relative to the root).
 * A renamed dependency (`package = …`) is found by its directory all the same.
 */
function dependencyPaths(root: string, dir: string, table: unknown, workspaceDeps: Map<string, string>): string[] {
  if (!isTable(table)) return [];
  const found: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (!isTable(value)) continue;
    if (typeof value['path'] === 'string') found.push(resolvePath(root, dir, value['path']));
    else if (value['workspace'] === true) {
      // A registry dependency of the workspace has no directory: it is in Cargo.lock.
      const inherited = workspaceDeps.get(key);
      if (inherited !== undefined) found.push(inherited);
    }
  }
  return found;
}

/** Reads each crate once, whichever mode asks for it; a crate that cannot be read throws each time it is asked for. */
export class CrateReader {
  private readonly crates = new Map<string, Crate | UserError>();
  /** `[workspace.dependencies]` path entries, for `workspace = true`. */
  readonly workspaceDeps: Map<string, string>;

  constructor(
    readonly files: CargoFiles,
    readonly root: string,
    readonly config: Table,
  ) {
    this.workspaceDeps = workspacePathDependencies(root, isTable(config['workspace']) ? config['workspace'] : undefined);
  }

  crate(dir: string): Crate {
    let crate = this.crates.get(dir);
    if (!crate) {
      try {
        crate = readCrate(this.files, this.root, dir, this.workspaceDeps);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        crate = error;
      }
      this.crates.set(dir, crate);
    }
    if (crate instanceof UserError) throw crate;
    return crate;
  }

  /** Every crate read without error. */
  read(): Crate[] {
    return [...this.crates.values()].filter((crate): crate is Crate => !(crate instanceof UserError));
  }
}

/** `exclude` entries ending in `*` name their subdirectories that hold a Cargo.toml (mzbuild's reading); others are ignored. */
export function excludedGlobCrateDirs(reader: CrateReader, exclude: unknown): string[] {
  if (!Array.isArray(exclude)) return [];
  const dirs: string[] = [];
  for (const pattern of exclude) {
    if (typeof pattern !== 'string' || !pattern.endsWith('*')) continue;
    const parent = normaliseDir(pattern.replace(/\*+$/, ''));
    for (const entry of reader.files.list(parent)) {
      const dir = within(parent, entry);
      if (reader.files.isDirectory(dir) && reader.files.exists(`${dir}/Cargo.toml`)) dirs.push(reader.crate(dir).dir);
    }
  }
  return dirs;
}
