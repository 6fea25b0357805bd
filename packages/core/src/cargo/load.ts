/** Reads the Cargo workspace from the TOML files, once, into both modes' models: mzbuild's (as its cargo.py does) and cargo's own. */
import { UserError } from '../errors';
import { normaliseDir } from '../paths';
import type { Compat } from '../config';
import { CrateReader, excludedGlobCrateDirs, isTable, readToml } from './crate';
import { correctView } from './members';
import { cargoView, diskCargoFiles, type CargoFiles, type CargoModels, type CargoViewData, type CargoWorkspace } from './workspace';

/** Both modes' models of the Cargo workspace at `root`; an error only when the root Cargo.toml cannot be read. */
export function loadCargoModels(root: string, files: CargoFiles = diskCargoFiles(root)): CargoModels {
  if (!files.exists('Cargo.toml')) {
    throw new UserError('Cargo.toml: not found at the repository root; images with a cargo-build pre-image need a Cargo workspace there');
  }
  const reader = new CrateReader(files, root, readToml(files, 'Cargo.toml'));
  const mzbuild = viewOrError(() => mzbuildView(reader));
  const correct = viewOrError(() => correctView(reader));
  return { crates: reader.read(), mzbuild, correct };
}

/** The workspace as `mode` reads it (for callers without a model cache). */
export function loadCargoWorkspace(root: string, mode: Compat, files: CargoFiles = diskCargoFiles(root)): CargoWorkspace {
  return cargoView(loadCargoModels(root, files), mode);
}

function viewOrError(read: () => CargoViewData): CargoViewData {
  try {
    return read();
  } catch (error) {
    if (error instanceof UserError) return { error: error.message };
    throw error;
  }
}

/**
 * mzbuild's reading (spec §1): `[workspace].members` literally, and the subdirectories holding a
 * Cargo.toml of `exclude` entries ending in `*`, which only partition the files.
 */
function mzbuildView(reader: CrateReader): CargoViewData {
  const workspace = reader.config['workspace'];
  if (!isTable(workspace) || !Array.isArray(workspace['members'])) {
    throw new UserError('Cargo.toml: needs a [workspace] table with a `members` list of crate directories');
  }
  const members: string[] = [];
  const crateDirs = new Set<string>();
  for (const member of workspace['members']) {
    if (typeof member !== 'string' || /[*?[]/.test(member)) {
      throw new UserError(
        `Cargo.toml: workspace member ${JSON.stringify(member)} is not a plain directory; mzbuild reads members literally, so list each crate directory (or use the correct fingerprint mode, which expands globs as cargo does)`,
      );
    }
    const crate = reader.crate(normaliseDir(member));
    members.push(crate.dir);
    crateDirs.add(crate.dir);
  }
  for (const dir of excludedGlobCrateDirs(reader, workspace['exclude'])) crateDirs.add(dir);
  return { members, crateDirs: [...crateDirs], patches: [] };
}
