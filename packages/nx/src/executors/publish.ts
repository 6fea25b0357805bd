import { ensurePublished, formatPublishSummary, publishMultiArch, RegistryClient } from '@mzbuild/core';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runImageBatch, runImageTask, warnOnce, type ImageTaskOptions, type ImageWork, type TaskResult } from './image-tasks';

export interface PublishOptions extends ImageTaskOptions {
  /** After publishing, put under this tag an index of each image's x86_64 and aarch64 images. */
  tag?: string;
  /** Move a version tag that exists. */
  force?: boolean;
}

/**
 * Publishes the images under their fingerprint tags, in the registry and every mirror: nothing
 * for images already there, a registry-to-registry copy for images only some registries have,
 * a build and a push for the rest. With `tag`, then the multi-arch index under that tag.
 */
const publish: ImageWork<PublishOptions> = async (mzbuild, targets, options, onLine) => {
  const outcomes = await ensurePublished(mzbuild, targets, { warn: warnOnce, onLine });
  let summary = formatPublishSummary(outcomes);
  const published = outcomes.every((o) => o.result !== 'failed' && o.result !== 'skipped');
  if (options.tag !== undefined && published) {
    const indexes = await publishMultiArch(mzbuild, targets, options.tag, new RegistryClient({ warn: warnOnce }), { force: options.force ?? false });
    summary += indexes.map((r) => `  ${r.name}: ${r.skipped ?? r.references.join(', ')}\n`).join('');
  }
  return { results: outcomes, summary };
};

export default function publishExecutor(options: PublishOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runImageTask(publish, options, context);
}

export function batch(taskGraph: TaskGraph, inputs: Record<string, PublishOptions>, _overrides: unknown, context: ExecutorContext): Promise<Record<string, TaskResult>> {
  return runImageBatch(publish, taskGraph, inputs, context);
}
