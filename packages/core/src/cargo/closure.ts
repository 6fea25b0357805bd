/** Which crates a binary or example is built from: the crate defining it and what it reaches through path dependencies. */
import { UserError } from '../errors';
import type { CargoBuild } from '../manifest';
import type { CargoWorkspace, Crate } from './workspace';

/** The one member crate that defines binary (or example) `target`. */
export function crateDefining(workspace: CargoWorkspace, kind: 'bin' | 'example', target: string, manifest: string): Crate {
  let found: Crate | undefined;
  for (const crate of workspace.members.values()) {
    const targets = kind === 'bin' ? crate.bins : crate.examples;
    if (!targets.includes(target)) continue;
    if (found) {
      throw new UserError(
        `${manifest}: ${kind} ${target} appears more than once in cargo workspace (crates ${found.dir} and ${crate.dir})`,
      );
    }
    found = crate;
  }
  if (!found) throw new UserError(`${manifest}: ${kind} ${target} does not exist in cargo workspace`);
  return found;
}

/**
 * The crate and every member it reaches through path dependencies and build-dependencies; with
 * `dev` (an example build), also through the root crate's own dev-dependencies (not deeper ones).
 */
export function crateClosure(workspace: CargoWorkspace, root: Crate, dev: boolean): Crate[] {
  const seen = new Map<string, Crate>();
  const visit = (crate: Crate) => {
    if (seen.has(crate.name)) return;
    seen.set(crate.name, crate);
    for (const name of crate.pathDependencies) visit(member(workspace, crate, name));
  };
  visit(root);
  if (dev) for (const name of root.pathDevDependencies) visit(member(workspace, root, name));
  return [...seen.values()];
}

function member(workspace: CargoWorkspace, from: Crate, name: string): Crate {
  const crate = workspace.members.get(name);
  if (!crate) {
    throw new UserError(
      `${from.dir}/Cargo.toml: path dependency ${name} is not a member of the Cargo workspace; add its directory to [workspace].members in Cargo.toml`,
    );
  }
  return crate;
}

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
  return [...crates.values()];
}
