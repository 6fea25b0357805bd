/** The Nx project of one image: its targets, the inputs that mirror its fingerprint, and what Nx tools read back. */
import type { Image, InputRules } from '@mzbuild/core';
import type { ProjectConfiguration, TargetConfiguration } from '@nx/devkit';
import { PLUGIN_NAME } from './constants';

type InputDefinition = NonNullable<TargetConfiguration['inputs']>[number];

/** What createDependencies and Nx Console read back from a project inferred for an image. */
export interface ImageMetadata {
  image: string;
  dependencies: string[];
  publish: boolean;
  mainline: boolean;
  /** Root-relative directories of the crates its binaries are built from. */
  crates: string[];
}

/** The named input that mirrors the fingerprint's own inputs; targets add `^` of it for upstream images. */
export const IMAGE_INPUT = 'mzbuildImage';

/** The plugin options that shape projects, checked (options.ts), with their defaults. */
export interface NormalizedOptions {
  projectName: string;
  targets: { fingerprint: string; dockerBuild: string; publish: string; explain: string };
}

export function projectNameOf(template: string, image: string): string {
  return template.split('{name}').join(image);
}

/**
 * The project for one image. `crates` are the sorted directories of the crates its binaries are
 * built from, `rules` what its fingerprint reads (core's imageInputRules). `toWorkspace` maps a
 * repository-relative path to a workspace-relative one (they differ when nx.json is not at the
 * git top level).
 */
export function imageProject(
  image: Image,
  crates: string[],
  rules: InputRules,
  options: NormalizedOptions,
  toWorkspace: (path: string) => string,
): ProjectConfiguration {
  const inputs = imageInputs(image, rules, toWorkspace);
  const { targets: names } = options;
  const metadata: ImageMetadata = {
    image: image.name,
    dependencies: image.dependencies,
    publish: image.manifest.publish,
    mainline: image.manifest.mainline,
    crates,
  };
  // Nx Console shows this as the targets' help: the question a user of a content-addressed build asks.
  const explainCommand = `npx mzimage explain ${image.name}`;
  const targetInputs: InputDefinition[] = [IMAGE_INPUT, `^${IMAGE_INPUT}`, { externalDependencies: [] }];
  const target = (executor: string, description: string, extra: Partial<TargetConfiguration> = {}): TargetConfiguration => ({
    executor: `${PLUGIN_NAME}:${executor}`,
    options: { image: image.name },
    inputs: targetInputs,
    // The registry is the cache of images, and a fingerprint depends on file modes that Nx does
    // not hash: Nx must never replay one of these from its own cache.
    cache: false,
    // No `technologies` here: `nx release` with `release.docker` takes a project whose targets
    // name the docker technology for one of @nx/docker's, and runs `docker tag` on it.
    metadata: { description, help: { command: explainCommand, example: { options: { since: 'origin/main' } } } },
    ...extra,
  });

  return {
    root: toWorkspace(image.dir),
    name: projectNameOf(options.projectName, image.name),
    projectType: 'application',
    tags: ['mzbuild'],
    namedInputs: { [IMAGE_INPUT]: inputs },
    metadata: {
      description: image.manifest.description ?? `mzbuild image ${image.name}`,
      technologies: ['docker'],
      targetGroups: { mzbuild: [names.fingerprint, names.explain, names.dockerBuild, names.publish, 'nx-release-publish'] },
      mzbuild: metadata,
    },
    targets: {
      [names.fingerprint]: target('fingerprint', `Print the fingerprint and full reference of image ${image.name}`),
      [names.explain]: target('explain', `Say why image ${image.name} is not reused: what changed since origin/main (or --since REV), input by input`),
      [names.dockerBuild]: target('docker-build', `Build image ${image.name} unless a registry or the local engine has it`, {
        dependsOn: [`^${names.dockerBuild}`],
      }),
      // Publishing builds what it publishes itself: depending on docker-build would pull, into a
      // CI job that only pushes, every image that is already published.
      [names.publish]: target('publish', `Push image ${image.name} under its fingerprint tag unless the registry has it`, {
        dependsOn: [`^${names.publish}`],
      }),
      // The name nx release looks for; it moves the version tag of the image's multi-arch index.
      'nx-release-publish': target('release-publish', `Tag the multi-arch index of image ${image.name} with the release version (nx release)`),
    },
  };
}

/**
 * The image's inputs as Nx filesets, translated from core's description of what the fingerprint
 * reads (imageInputRules): its directory, the directories of its crates, the shared Cargo inputs
 * and its copy pre-images' sources, less what the fingerprint leaves out, and the variables that
 * salt it. Nx takes a `!` pattern away from every fileset of the input, so a left-out path that
 * holds one of the image's own trees is not negated: its files are inputs through that tree.
 * A copy pre-image's git pathspec becomes its whole source directory: more images affected, never fewer.
 */
function imageInputs(image: Image, rules: InputRules, toWorkspace: (path: string) => string): InputDefinition[] {
  const ws = (path: string) => {
    if (path === image.dir) return '{projectRoot}';
    const relative = toWorkspace(path);
    return relative === '' ? '{workspaceRoot}' : `{workspaceRoot}/${relative}`; // '': a package at the root of the Cargo workspace
  };
  const holdsATree = (path: string) => rules.trees.some(({ dir }) => dir === path || dir.startsWith(`${path}/`));
  const inputs: InputDefinition[] = [];
  for (const { dir } of rules.trees) inputs.push(`${ws(dir)}/**/*`);
  for (const { dir } of rules.selections) inputs.push(dir === '' ? '{workspaceRoot}/**/*' : `${ws(dir)}/**/*`);
  for (const file of rules.files) inputs.push(ws(file));
  for (const path of new Set(rules.trees.flatMap(({ except }) => except))) {
    if (!holdsATree(path)) inputs.push(`!${ws(path)}/**/*`, `!${ws(path)}`);
  }
  for (const env of rules.env) inputs.push({ env });
  return inputs;
}
