/** Which crates a cargo-build step compiles: the crate defining each binary or example, and its closure. */
import { UserError } from '../errors';
import type { CargoBuild } from '../manifest';
import type { CargoWorkspace, Crate } from './workspace';

/** The one member crate that defines binary (or example) `target`. */
export function crateDefining(workspace: CargoWorkspace, kind: 'bin' | 'example', target: string, manifest: string): Crate {
  const [found, other] = definers(workspace, kind).get(target) ?? [];
  if (!found) throw new UserError(`${manifest}: ${kind} ${target} does not exist in cargo workspace`);
  if (other) {
    throw new UserError(`${manifest}: ${kind} ${target} appears more than once in cargo workspace (crates ${found.dir} and ${other.dir})`);
  }
  return found;
}

const definersByWorkspace = new WeakMap<CargoWorkspace, Record<'bin' | 'example', Map<string, Crate[]>>>();

/** Per binary (or example) name, the members that define it, in member order: built once per workspace. */
function definers(workspace: CargoWorkspace, kind: 'bin' | 'example'): Map<string, Crate[]> {
  let index = definersByWorkspace.get(workspace);
  if (!index) {
    index = { bin: new Map(), example: new Map() };
    for (const crate of workspace.members.values()) {
      for (const [key, targets] of [['bin', crate.bins], ['example', crate.examples]] as const) {
        // A crate that names a target twice defines it once, as `includes` found it.
        for (const target of new Set(targets)) {
          const list = index[key].get(target);
          if (list) list.push(crate);
          else index[key].set(target, [crate]);
        }
      }
    }
    definersByWorkspace.set(workspace, index);
  }
  return index[kind];
}

/**
 * The crate and every crate it reaches through path dependencies and build-dependencies; with
 * `dev` (an example build), also through the root crate's own dev-dependencies (not deeper ones).
 * mzbuild's reading follows dependencies by name among the members; cargo's, by directory.
 */
export function crateClosure(workspace: CargoWorkspace, root: Crate, dev: boolean): Crate[] {
  const seen = new Map<string, Crate>();
  const correct = workspace.mode === 'correct';
  const next = (from: Crate, dependencies: 'normal' | 'dev'): Crate[] =>
    correct
      ? (dependencies === 'dev' ? from.devDependencyPaths : from.dependencyPaths).map((dir) => crateIn(workspace, from, dir))
      : (dependencies === 'dev' ? from.pathDevDependencies : from.pathDependencies).map((name) => member(workspace, from, name));
  const visit = (crate: Crate) => {
    const key = correct ? crate.dir : crate.name; // mzbuild knows a crate by its name
    if (seen.has(key)) return;
    seen.set(key, crate);
    for (const dependency of next(crate, 'normal')) visit(dependency);
  };
  visit(root);
  if (dev) for (const dependency of next(root, 'dev')) visit(dependency);
  return [...seen.values()];
}

function member(workspace: CargoWorkspace, from: Crate, name: string): Crate {
  const crate = workspace.members.get(name);
  if (!crate) {
    throw new UserError(
      `${cargoToml(from)}: path dependency ${name} is not a member of the Cargo workspace; add its directory to [workspace].members in Cargo.toml`,
    );
  }
  return crate;
}

function crateIn(workspace: CargoWorkspace, from: Crate, dir: string): Crate {
  const crate = workspace.crates.get(dir);
  if (!crate) {
    // The model reads every crate reached inside the repository: only a path out of it is missing.
    throw new UserError(
      `${cargoToml(from)}: path dependency ${dir} is outside the repository, so its files cannot be fingerprinted; move the crate into the repository (or vendor it)`,
    );
  }
  return crate;
}

const cargoToml = (crate: Crate) => (crate.dir === '' ? 'Cargo.toml' : `${crate.dir}/Cargo.toml`);

/**
 * The crates a cargo-build step compiles: those defining its bins and examples, with their
 * closures. `manifest` is the mzbuild.yml path shown in errors.
 */
export function cratesOfStep(workspace: CargoWorkspace, step: CargoBuild, manifest: string): Crate[] {
  const crates = new Map<string, Crate>();
  const add = (kind: 'bin' | 'example', target: string) => {
    for (const crate of crateClosure(workspace, crateDefining(workspace, kind, target, manifest), kind === 'example')) {
      crates.set(crate.dir, crate);
    }
  };
  for (const bin of step.bins) add('bin', bin);
  for (const example of step.examples) add('example', example);
  // What [patch] and [replace] put in place may be in any crate's build: every Rust image takes it.
  if (crates.size > 0) {
    for (const dir of workspace.patches) for (const crate of crateClosure(workspace, workspace.crates.get(dir)!, false)) crates.set(crate.dir, crate);
  }
  return [...crates.values()];
}
