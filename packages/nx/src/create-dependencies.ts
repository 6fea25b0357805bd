/** createDependencies: a static edge for each MZFROM dependency between image projects. */
import type { CreateDependencies, CreateDependenciesContext, DependencyType, RawProjectGraphDependency } from '@nx/devkit';
import type { MzbuildPluginOptions } from './options';
import type { ImageMetadata } from './project';

/**
 * A static edge for each MZFROM dependency, with the Dockerfile as its source file. The image
 * names come from the metadata that createNodes put on each project: nothing is parsed again.
 */
export const createDependencies: CreateDependencies<MzbuildPluginOptions> = (_options, context) => {
  const images = new Map<string, { project: string; root: string; metadata: ImageMetadata }>();
  for (const [project, config] of Object.entries(context.projects)) {
    const metadata = (config.metadata as { mzbuild?: ImageMetadata } | undefined)?.mzbuild;
    if (metadata) images.set(metadata.image, { project, root: config.root, metadata });
  }
  const dependencies: RawProjectGraphDependency[] = [];
  for (const { project, root, metadata } of images.values()) {
    for (const name of metadata.dependencies) {
      const target = images.get(name);
      if (!target) continue; // createNodes already refused unknown images
      const sourceFile = root === '.' || root === '' ? 'Dockerfile' : `${root}/Dockerfile`;
      const dependency: RawProjectGraphDependency = { source: project, target: target.project, type: 'static' as DependencyType.static, sourceFile };
      validate(dependency, sourceFile, context);
      dependencies.push(dependency);
    }
  }
  return dependencies;
};

/**
 * Nx's validateDependency, whose module (@nx/devkit) costs a plugin worker ~80 ms to load: asked
 * only for an edge that is not plainly valid (both ends projects, neither an external node, the
 * Dockerfile a file Nx knows), so that Nx's own error reports the problem.
 */
function validate(dependency: RawProjectGraphDependency, sourceFile: string, context: CreateDependenciesContext): void {
  const { projects, externalNodes, fileMap } = context;
  const isFile = (file: { file: string }) => file.file === sourceFile;
  const plainlyValid =
    projects[dependency.source] !== undefined &&
    projects[dependency.target] !== undefined &&
    !externalNodes?.[dependency.source] &&
    ((fileMap.projectFileMap[dependency.source] ?? []).some(isFile) || fileMap.nonProjectFiles.some(isFile));
  if (plainlyValid) return;
  const { validateDependency } = require('@nx/devkit') as typeof import('@nx/devkit');
  validateDependency(dependency, context);
}
