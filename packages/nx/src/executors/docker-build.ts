import { acquireImages, formatSummary } from '@mzbuild/core';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runImageBatch, runImageTask, warnOnce, type ImageTaskOptions, type ImageWork, type TaskResult } from './image-tasks';

export interface DockerBuildOptions extends ImageTaskOptions {
  /** Pull images that a registry has (default); false only checks that they exist. */
  pull?: boolean;
  /** In CI, build publishable images that the registry lacks instead of failing. */
  allowLocalBuild?: boolean;
  /** Docker builds at once. */
  parallel?: number;
}

/**
 * Makes the images available to the local engine: reused when the engine or the registry has
 * them, built otherwise. Nx reports a task successful only if its image is there at the end.
 */
const build: ImageWork<DockerBuildOptions> = async (mzbuild, targets, options, onLine) => {
  const { outcomes } = await acquireImages(mzbuild, targets, {
    warn: warnOnce,
    pull: options.pull ?? true,
    ...(options.allowLocalBuild === undefined ? {} : { allowLocalBuild: options.allowLocalBuild }),
    parallel: options.parallel ?? 2,
    onLine,
  });
  return { results: outcomes, summary: formatSummary(outcomes) };
};

export default function dockerBuildExecutor(options: DockerBuildOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runImageTask(build, options, context);
}

export function batch(taskGraph: TaskGraph, inputs: Record<string, DockerBuildOptions>, _overrides: unknown, context: ExecutorContext): Promise<Record<string, TaskResult>> {
  return runImageBatch(build, taskGraph, inputs, context);
}
