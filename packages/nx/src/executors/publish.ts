import { ensurePublished, formatPublishSummary } from '@mzbuild/core';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runImageBatch, runImageTask, warnOnce, type ImageTaskOptions, type ImageWork, type TaskResult } from './image-tasks';

export type PublishOptions = ImageTaskOptions;

/**
 * Publishes the images under their fingerprint tags, in the registry and every mirror: nothing
 * for images already there, a registry-to-registry copy for images only some registries have,
 * a build and a push for the rest.
 */
const publish: ImageWork<PublishOptions> = async (mzbuild, targets, _options, onLine) => {
  const outcomes = await ensurePublished(mzbuild, targets, { warn: warnOnce, onLine });
  return { results: outcomes, summary: formatPublishSummary(outcomes) };
};

export default function publishExecutor(options: PublishOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runImageTask(publish, options, context);
}

export function batch(taskGraph: TaskGraph, inputs: Record<string, PublishOptions>, _overrides: unknown, context: ExecutorContext): Promise<Record<string, TaskResult>> {
  return runImageBatch(publish, taskGraph, inputs, context);
}
