/** The project graph's edges: an image depends on the images its Dockerfile names with MZFROM. */
import { DependencyType, validateDependency, type CreateDependencies, type RawProjectGraphDependency } from '@nx/devkit';
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
      const dependency: RawProjectGraphDependency = {
        source: project,
        target: target.project,
        type: DependencyType.static,
        sourceFile: root === '.' || root === '' ? 'Dockerfile' : `${root}/Dockerfile`,
      };
      validateDependency(dependency, context);
      dependencies.push(dependency);
    }
  }
  return dependencies;
};
