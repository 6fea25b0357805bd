/** Planning the one cargo build: every request checked, and each image's outputs placed, before cargo runs. */
import { isAbsolute } from 'node:path';
import type { CargoWorkspace } from '../cargo';
import { crateDefining } from '../cargo';
import type { FingerprintConfig } from '../config';
import { UserError } from '../errors';
import type { CargoBuild } from '../manifest';
import { targetTriple, type CargoBuildCommand, type CargoBuildRequest } from './cargo-command';
import { checkDistinct, ignoreLine, manifestOf, pathInside, type OutputPath } from './outputs';

/** One image's share of the build: where each of its outputs goes. */
export interface ImageCargoPlan {
  manifest: string;
  imageDir: string;
  step: CargoBuild;
  /** Root-relative destinations. */
  bins: { name: string; dest: string }[];
  examples: { name: string; dest: string }[];
  extract: { package: string; source: string; dest: string }[];
  outputs: OutputPath[];
}

export interface CargoBuildPlan {
  command: CargoBuildCommand;
  images: ImageCargoPlan[];
}

// An OUT_DIR lies at <target>/<triple>/<profile>/build/<package>-<hash>/out: a source may climb
// out of it (Materialize's testdrive extracts `../../../../../duckdb-download`), but not out of
// the target directory.
const VIRTUAL_OUT_DIR = 'triple/profile/build/package/out';

export function planCargoBuild(requests: CargoBuildRequest[], config: FingerprintConfig, workspace: () => CargoWorkspace): CargoBuildPlan {
  const bins = new Set<string>();
  const examples = new Set<string>();
  const packages = new Set<string>();
  const features = new Set<string>();
  const images: ImageCargoPlan[] = [];
  const errors: string[] = [];

  for (const request of requests) {
    const imageDir = pathInside('', request.imageDir);
    const manifest = manifestOf(imageDir ?? request.imageDir);
    if (imageDir === undefined || imageDir === '') {
      errors.push(`${manifest}: the image directory ${request.imageDir} is not a directory inside the repository`);
      continue;
    }
    const { step } = request;
    const plan: ImageCargoPlan = { manifest, imageDir, step, bins: [], examples: [], extract: [], outputs: [] };
    const output = (path: string, mayBeDirectory = false) =>
      plan.outputs.push({ manifest, imageDir, path, ignoreAs: ignoreLine(imageDir, path), ...(mayBeDirectory ? { mayBeDirectory } : {}) });
    try {
      for (const bin of new Set(step.bins)) {
        packages.add(crateDefining(workspace(), 'bin', bin, manifest).name);
        bins.add(bin);
        plan.bins.push({ name: bin, dest: `${imageDir}/${bin}` });
        output(`${imageDir}/${bin}`);
      }
      for (const example of new Set(step.examples)) {
        packages.add(crateDefining(workspace(), 'example', example, manifest).name);
        examples.add(example);
        plan.examples.push({ name: example, dest: `${imageDir}/examples/${example}` });
        output(`${imageDir}/examples/${example}`);
      }
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      errors.push(error.message);
      continue;
    }
    for (const feature of step.features) features.add(feature);
    for (const [name, paths] of Object.entries(step.extract)) {
      for (const [source, dest] of Object.entries(paths)) {
        const destPath = pathInside(imageDir, dest);
        if (destPath === undefined) {
          errors.push(`${manifest}: extract: destination ${dest} (of ${name} ${source}) is outside the image directory ${imageDir}`);
          continue;
        }
        if (isAbsolute(source) || pathInside('target', `${VIRTUAL_OUT_DIR}/${source}`) === undefined) {
          errors.push(
            `${manifest}: extract: source ${source} of package ${name} is outside cargo's target directory; ` +
              `it must be a path in the package's build script OUT_DIR`,
          );
          continue;
        }
        plan.extract.push({ package: name, source, dest: destPath });
        output(destPath, true);
      }
    }
    images.push(plan);
  }
  // A broken workspace is one error, however many requests meet it.
  if (errors.length > 0) throw new UserError([...new Set(errors)].join('\n'));
  if (config.sanitizer !== 'none') {
    throw new UserError(
      `sanitizer builds (${config.sanitizer}) are not supported by the cargo-build pre-image yet: they need a nightly toolchain ` +
        `and mzbuild's sanitizer flags; build with --sanitizer none`,
    );
  }
  // Outputs of one image must not overwrite one another, whichever step asks for them.
  const byImage = new Map<string, OutputPath[]>();
  for (const plan of images) byImage.set(plan.imageDir, [...(byImage.get(plan.imageDir) ?? []), ...plan.outputs]);
  for (const outputs of byImage.values()) checkDistinct(outputs);

  return {
    command: {
      triple: targetTriple(config.arch),
      bins: [...bins],
      examples: [...examples],
      packages: [...packages],
      features: [...features],
      profile: config.profile,
    },
    images,
  };
}
