/** Selecting each image's input files from the repository's one listing of git-visible files. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cratesOfStep } from './cargo';
import { UserError } from './errors';
import { CARGO_SHARED_INPUTS, CRATE_LEFT_OUT } from './input-rules';
import type { CargoBuild, Copy, PreImage } from './manifest';
import { normaliseDir, partitionByLongestPrefix, sortUtf8 } from './paths';
import { matchesPathspec } from './pathspec';
import type { Image, Repository } from './repository';

/**
 * The input files of images (spec §1), each set computed once per repository: the image contexts
 * and the crates are partitioned from the one listing of git-visible files. What is an input is
 * described once, in input-rules.ts; this is the fast way of selecting it from the listing.
 */
export class InputIndex {
  private contexts?: Map<string, string[]>;
  private crates?: Map<string, string[]>;
  private cargoShared?: string[];
  private readonly memo = new Map<string, string[]>();

  constructor(private readonly repository: Repository) {}

  /** The sorted input paths of one image, its own and its pre-images'. */
  inputsOf(image: Image): string[] {
    let inputs = this.memo.get(image.name);
    if (!inputs) {
      const all = new Set(this.contextFiles(image));
      for (const step of image.manifest.preImages) for (const file of this.preImageInputs(image, step)) all.add(file);
      inputs = sortUtf8(all);
      this.memo.set(image.name, inputs);
    }
    return inputs;
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

  preImageInputs(image: Image, step: PreImage): string[] {
    return step.type === 'cargo-build' ? this.cargoInputs(image, step) : this.copyInputs(step);
  }

  /** Files shared by every Rust image (CARGO_SHARED_INPUTS): `ci/builder/**`, `Cargo.toml`, `Cargo.lock` and `.cargo/config`. */
  sharedCargoInputs(): string[] {
    if (!this.cargoShared) {
      const trees = CARGO_SHARED_INPUTS.trees.map((dir) => `${dir}/`);
      const shared = this.repository.files.filter((f) => trees.some((tree) => f.startsWith(tree)));
      // Added without asking git, as mzbuild does: they are inputs even when ignored.
      shared.push(...CARGO_SHARED_INPUTS.files);
      for (const file of CARGO_SHARED_INPUTS.ifPresent) if (existsSync(join(this.repository.root, file))) shared.push(file);
      this.cargoShared = shared;
    }
    return this.cargoShared;
  }

  private cargoInputs(image: Image, step: CargoBuild): string[] {
    const files = [...this.sharedCargoInputs()];
    for (const crate of cratesOfStep(this.repository.cargo(), step, `${image.dir}/mzbuild.yml`)) {
      files.push(...this.crateFiles(crate.dir));
    }
    return files;
  }

  private crateFiles(dir: string): string[] {
    if (!this.crates) {
      const workspace = this.repository.cargo();
      const dirs = new Set(workspace.crateDirs);
      // mzbuild leaves `<crate>/mzcompose` and `<crate>/mzcompose.py` out of crate inputs.
      const excluded = workspace.crateDirs.flatMap((d) => CRATE_LEFT_OUT.map((path) => `${d}/${path}`));
      const kept = this.repository.files.filter(
        (f) => !f.includes('mzcompose') || !excluded.some((e) => f === e || f.startsWith(`${e}/`)),
      );
      this.crates = partitionByLongestPrefix(kept, dirs);
    }
    return this.crates.get(dir) ?? [];
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
