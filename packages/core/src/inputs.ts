/** The input files of each image (spec §1), as groups shared between images: contexts, crates, shared Cargo files. */
import { cratesOfStep } from './cargo/closure';
import { UserError } from './errors';
import type { Compat } from './config';
import { cargoSharedInputs, CRATE_LEFT_OUT } from './input-rules';
import type { Copy } from './manifest';
import { normaliseDir, partitionByLongestPrefix, sortUtf8, underAny, within } from './paths';
import { matchesPathspec } from './pathspec';
import type { Image, Repository } from './repository';

/**
 * Files that are inputs together: an image's context, the files shared by every Rust image, one
 * crate's files, or what one copy step takes. An image's inputs are the union of its groups; a
 * group is one object however many images take it, so that work per group is done once.
 */
export interface InputGroup {
  /** Unique among the groups of a repository: `context:<dir>`, `cargo:<mode>`, `crate:<mode>:<dir>`, `copy:<source>\0<matching>`. */
  key: string;
  files: readonly string[];
}

/**
 * The input files of images (spec §1), each set computed once per repository: the image contexts
 * and the crates are partitioned from the one listing of git-visible files. What is an input is
 * described once, in input-rules.ts; this is the fast way of selecting it from the listing.
 */
export class InputIndex {
  private contexts?: Map<string, string[]>;
  private readonly crates = new Map<Compat, Map<string, string[]>>();
  private readonly cargoShared = new Map<Compat, string[]>();
  private readonly memo = new Map<string, string[]>();
  private readonly groupMemo = new Map<string, InputGroup[]>();
  private readonly groupsByKey = new Map<string, InputGroup>();

  constructor(private readonly repository: Repository) {}

  /** The sorted input paths of one image in fingerprint mode `mode`, its own and its pre-images'. */
  inputsOf(image: Image, mode: Compat): string[] {
    const key = `${mode}\0${image.name}`;
    let inputs = this.memo.get(key);
    if (!inputs) {
      const all = new Set<string>();
      for (const group of this.groupsOf(image, mode)) for (const file of group.files) all.add(file);
      inputs = sortUtf8(all);
      this.memo.set(key, inputs);
    }
    return inputs;
  }

  /**
   * The groups whose union is the image's inputs: its context, then for each pre-image the shared
   * Cargo files and the crates of its closure, or the files it copies. Errors (an image git does
   * not know, a binary no crate defines) are thrown here.
   */
  groupsOf(image: Image, mode: Compat): InputGroup[] {
    const memoKey = `${mode}\0${image.name}`;
    let groups = this.groupMemo.get(memoKey);
    if (!groups) {
      const found = new Map<string, InputGroup>();
      const add = (key: string, files: () => readonly string[]) => {
        let group = this.groupsByKey.get(key);
        if (!group) this.groupsByKey.set(key, (group = { key, files: files() }));
        found.set(key, group);
      };
      add(`context:${image.dir}`, () => this.contextFiles(image));
      for (const step of image.manifest.preImages) {
        if (step.type === 'cargo-build') {
          // The modes partition crates and pick shared files apart: their groups are keyed apart.
          add(`cargo:${mode}`, () => this.sharedCargoInputs(mode));
          for (const crate of cratesOfStep(this.repository.cargo(mode), step, `${image.dir}/mzbuild.yml`)) {
            add(`crate:${mode}:${crate.dir}`, () => this.crateFiles(crate.dir, mode));
          }
        } else {
          add(`copy:${step.source}\0${step.matching}`, () => this.copyInputs(step));
        }
      }
      groups = [...found.values()];
      this.groupMemo.set(memoKey, groups);
    }
    return groups;
  }

  /** Git-visible files under the image directory that belong to no nested image directory. */
  contextFiles(image: Image): string[] {
    this.contexts ??= partitionByLongestPrefix(
      this.repository.files,
      this.repository.images.map((i) => i.dir),
    );
    const files = this.contexts.get(image.dir)!;
    if (files.length === 0) {
      throw new UserError(`${image.dir}/mzbuild.yml: image ${image.name} exists but its files are unknown to git; git add them, or un-ignore them`);
    }
    return files;
  }

  /** Files shared by every Rust image in `mode` (input-rules.ts): `ci/builder/**`, `Cargo.toml`, `Cargo.lock`, Cargo's configuration and more. */
  sharedCargoInputs(mode: Compat): string[] {
    let shared = this.cargoShared.get(mode);
    if (!shared) {
      const rules = cargoSharedInputs(mode);
      const trees = rules.trees.map((dir) => `${dir}/`);
      shared = this.repository.files.filter((f) => trees.some((tree) => f.startsWith(tree)));
      // Added without asking git, as mzbuild does: they are inputs even when ignored.
      shared.push(...rules.files);
      for (const file of rules.ifPresent) if (this.repository.exists(file)) shared.push(file);
      this.cargoShared.set(mode, shared);
    }
    return shared;
  }

  private crateFiles(dir: string, mode: Compat): string[] {
    let crates = this.crates.get(mode);
    if (!crates) {
      const workspace = this.repository.cargo(mode);
      const dirs = new Set(workspace.crateDirs);
      // mzbuild leaves `<crate>/mzcompose` and `<crate>/mzcompose.py` out of crate inputs.
      const excluded = new Set(workspace.crateDirs.flatMap((d) => CRATE_LEFT_OUT.map((path) => within(d, path))));
      const kept = this.repository.files.filter((f) => !f.includes('mzcompose') || !underAny(f, excluded));
      crates = partitionByLongestPrefix(kept, dirs);
      this.crates.set(mode, crates);
    }
    return crates.get(dir) ?? [];
  }

  /**
   * Files under `source` that match `matching`, as root-relative paths. mzbuild hashes the wrong
   * paths here (spec §7); this is what it means to do.
   */
  private copyInputs(step: Copy): string[] {
    const source = normaliseDir(step.source);
    const prefix = source === '' ? '' : `${source}/`;
    return this.repository.files.filter((f) => f.startsWith(prefix) && matchesPathspec(step.matching, f.slice(prefix.length)));
  }
}
