/** The publish executor: publishes images under their fingerprint tags, as `mzimage ensure`, and moves tags. */
import { ensurePublished, formatPublishSummary, isUserError, publishMultiArch, RegistryClient, type Image, type PublishOutcome } from '@mzbuild/core';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runImageBatch, runImageTask, warnOnce, type ImageExecutor, type ImageTaskOptions, type TaskResult } from './image-tasks';

export interface PublishOptions extends ImageTaskOptions {
  /** After publishing, put under this tag an index of each image's x86_64 and aarch64 images. */
  tag?: string;
  /** Move a version tag that exists. */
  force?: boolean;
}

/**
 * Publishes the images under their fingerprint tags, in the registry and every mirror: nothing
 * for images already there, a registry-to-registry copy for images only some registries have,
 * a build and a push for the rest. Then, for the tasks given a `tag`, the multi-arch index under
 * it; a task's image whose publishing failed gets no index, and fails.
 */
const publish: ImageExecutor<PublishOptions> = {
  runWide: [],
  work: async ({ mzbuild, targets, optionsOf, onLine }) => {
    const outcomes = await ensurePublished(mzbuild, targets, { warn: warnOnce, onLine });
    let summary = formatPublishSummary(outcomes);
    const groups = new Map<string, { tag: string; force: boolean; images: Image[] }>();
    for (const image of targets) {
      const { tag, force = false } = optionsOf(image.name) ?? {};
      if (tag === undefined) continue;
      const key = JSON.stringify([tag, force]);
      if (!groups.has(key)) groups.set(key, { tag, force, images: [] });
      groups.get(key)!.images.push(image);
    }
    const failed = new Set(outcomes.filter((o) => o.result === 'failed' || o.result === 'skipped').map((o) => o.name));
    const indexFailures = new Map<string, string>();
    for (const { tag, force, images } of groups.values()) {
      const blocked = images.filter((image) => failed.has(image.name));
      if (blocked.length > 0) {
        for (const image of images) indexFailures.set(image.name, `no index under ${tag}: ${blocked.map((i) => i.name).join(', ')} not published`);
        continue;
      }
      try {
        const indexes = await publishMultiArch(mzbuild, images, tag, new RegistryClient({ warn: warnOnce }), { force });
        summary += indexes.map((r) => `  ${r.name}: ${r.skipped ?? r.references.join(', ')}\n`).join('');
      } catch (error) {
        if (!isUserError(error)) throw error;
        for (const image of images) indexFailures.set(image.name, error.message);
      }
    }
    for (const [name, message] of indexFailures) summary += `  ${name}: ${message}\n`;
    const results: PublishOutcome[] = outcomes.map((o) =>
      indexFailures.has(o.name) && o.result !== 'failed' && o.result !== 'skipped' ? { ...o, result: 'failed', error: indexFailures.get(o.name)! } : o,
    );
    return { results, summary };
  },
};

export default function publishExecutor(options: PublishOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runImageTask(publish, options, context);
}

export function batch(taskGraph: TaskGraph, inputs: Record<string, PublishOptions>, _overrides: unknown, context: ExecutorContext): Promise<Record<string, TaskResult>> {
  return runImageBatch(publish, taskGraph, inputs, context);
}
