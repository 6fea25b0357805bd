/** The docker-build executor: makes images available to the local engine, as `mzimage acquire`. */
import { acquireImages, formatSummary } from '@mzbuild/core';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runImageBatch, runImageTask, shardingOf, type ImageTaskOptions, type ImageWork, type TaskResult } from './image-tasks';
import { runPublishes } from './run-graph';

export interface DockerBuildOptions extends ImageTaskOptions {
  /** Pull images that a registry has (default); false only checks that they exist. */
  pull?: boolean;
  /** In CI, build publishable images that the registry lacks instead of failing. */
  allowLocalBuild?: boolean;
  /** Docker builds at once; a batch takes the largest of its tasks'. */
  parallel?: number;
}

/**
 * Images are reused when the engine or the registry has them, built otherwise; Nx reports a task
 * successful only if its image is there at the end. In CI, a publishable image the registry lacks
 * is refused (mzbuild's rule for jobs that use images), unless the task allows local builds or
 * the same run publishes images: a publishing job exists to build what is missing.
 */
const dockerBuild: ImageWork<DockerBuildOptions> = async ({ mzbuild, targets, optionsOf, tasks, context, onLine }) => {
  const publishing = runPublishes(context);
  const { outcomes } = await acquireImages(mzbuild, targets, {
    pull: (name) => optionsOf(name)?.pull ?? true,
    allowLocalBuild: (name) => optionsOf(name)?.allowLocalBuild ?? (publishing || undefined),
    parallel: Math.max(...tasks.map((task) => task.parallel ?? 2)),
    onLine,
    ...shardingOf(tasks, mzbuild.env),
  });
  return { results: outcomes, summary: formatSummary(outcomes) };
};

export default function dockerBuildExecutor(options: DockerBuildOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runImageTask(dockerBuild, options, context);
}

export function batch(taskGraph: TaskGraph, inputs: Record<string, DockerBuildOptions>, _overrides: unknown, context: ExecutorContext): Promise<Record<string, TaskResult>> {
  return runImageBatch(dockerBuild, taskGraph, inputs, context);
}
