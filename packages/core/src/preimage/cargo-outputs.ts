/** After the one cargo build: each image's binaries and examples copied in and stripped, and its `extract` files taken from build scripts' OUT_DIRs. */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../errors';
import { displayPath, PROFILE_DIRS, targetDirectory, type CargoBuildCommand, type CargoRunOptions } from './cargo-command';
import { tripleDirOf, type CargoArtifacts } from './cargo-messages';
import type { ImageCargoPlan } from './cargo-plan';
import { installFile, replaceWithCopy } from './copy';
import { ignoredPaths, ignoreLine } from './outputs';
import { stripBinaries } from './strip';

/** Copies an image's binaries and examples in (mode 755), strips them, and extracts from OUT_DIRs. */
export async function installCargoOutputs(
  image: ImageCargoPlan,
  artifacts: CargoArtifacts,
  command: CargoBuildCommand,
  options: CargoRunOptions,
): Promise<void> {
  const env = { ...process.env, ...options.env };
  const executable = (kind: 'bin' | 'example', name: string): string => {
    const reported = artifacts.executables.get(`${kind}:${name}`);
    if (reported !== undefined) return reported;
    // A wrapper that does not pass cargo's messages on: where cargo puts them by default.
    const guess = join(
      targetDirectory(options.root, env),
      command.triple,
      PROFILE_DIRS[command.profile],
      ...(kind === 'example' ? ['examples', name] : [name]),
    );
    if (existsSync(guess)) return guess;
    throw new UserError(
      `${image.manifest}: cargo reported no executable for ${kind} ${name}, and ${displayPath(options.root, guess)} does not exist`,
    );
  };

  const installed: string[] = [];
  for (const { name, dest } of image.bins) {
    await installFile(executable('bin', name), join(options.root, dest), 0o755);
    installed.push(join(options.root, dest));
  }
  for (const { name, dest } of image.examples) {
    await installFile(executable('example', name), join(options.root, dest), 0o755);
    installed.push(join(options.root, dest));
  }
  await stripBinaries(installed, {
    arch: options.config.arch,
    strip: image.step.strip,
    env,
    ...(options.onOutput ? { onOutput: options.onOutput } : {}),
    ...(options.hostArch ? { host: options.hostArch } : {}),
  });

  const extracted: string[] = [];
  for (const { package: name, source, dest } of image.extract) {
    const outDir = (artifacts.outDirs.get(name) ?? []).filter((dir) => tripleDirOf(dir, command.triple) !== undefined).at(-1);
    if (outDir === undefined) {
      throw new UserError(
        `${image.manifest}: extract: cargo ran no build script of package ${name} for ${command.triple}; ` +
          `is ${name} a dependency of the binaries built here, with a build.rs?`,
      );
    }
    const from = resolve(outDir, source);
    const targetDir = tripleDirOf(outDir, command.triple)!.slice(0, -(command.triple.length + 1));
    const rel = relative(targetDir, from);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new UserError(
        `${image.manifest}: extract: source ${source} of package ${name} is outside cargo's target directory (${from})`,
      );
    }
    if (!existsSync(from)) {
      throw new UserError(`${image.manifest}: extract: the build script of ${name} wrote no ${source} (looked for ${from})`);
    }
    await replaceWithCopy(from, join(options.root, dest));
    options.onOutput?.(`extracted ${name}'s ${source} to ${dest}`);
    extracted.push(dest);
  }
  await checkExtractedIgnored(image, extracted, options.root);
}

/**
 * An extract destination passes the check before the build if `/dest/` is ignored, not knowing
 * whether it will be a directory; if it turned out to be a file, a directory-only pattern does not
 * ignore it.
 */
async function checkExtractedIgnored(image: ImageCargoPlan, dests: string[], root: string): Promise<void> {
  if (dests.length === 0) return;
  const ignored = await ignoredPaths(root, dests);
  const exposed = dests.filter((dest) => !ignored.has(dest));
  if (exposed.length > 0) {
    throw new UserError(
      exposed
        .map(
          (dest) =>
            `${image.manifest}: extract wrote the file ${dest}, which git does not ignore (a pattern that ends in / ignores only directories); ` +
            `add \`${ignoreLine(image.imageDir, dest)}\` to ${image.imageDir}/.gitignore`,
        )
        .join('\n'),
    );
  }
}
