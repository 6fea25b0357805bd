/** The publish executor: publishes images under their fingerprint tags, as `mzimage ensure`, and moves tags. */
import { ensurePublished, formatPublishSummary, isUserError, publishMultiArch, UserError, type Image, type MzbuildContext, type PublishOutcome } from '@mzbuild/core';
import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { runImageBatch, runImageTask, shardingOf, type ImageTaskOptions, type ImageWork, type TaskResult } from './image-tasks';

export interface PublishOptions extends ImageTaskOptions {
  /** After publishing, put under this tag an index of each image's x86_64 and aarch64 images. */
  tag?: string;
  /** Move a version tag that exists. */
  force?: boolean;
  /** With trusted keys: build and push over fingerprint tags no trusted key signed, instead of failing. */
  replaceUntrusted?: boolean;
}

/**
 * Publishes the images under their fingerprint tags, in the registry and every mirror: nothing
 * for images already there, a registry-to-registry copy for images only some registries have,
 * a build and a push for the rest. Then, for the tasks given a `tag`, the multi-arch index under
 * it; a task's image whose publishing failed gets no index, and fails.
 */
const publish: ImageWork<PublishOptions> = async ({ mzbuild, targets, optionsOf, onLine, tasks }) => {
  // One plan for the batch: a task that asks to replace untrusted tags asks it for the run (what it builds on included).
  const replaceUntrusted = tasks.some((task) => task.replaceUntrusted === true);
  const outcomes = await ensurePublished(mzbuild, targets, { onLine, replaceUntrusted, ...shardingOf(tasks, mzbuild.env) });
  const failed = new Set(outcomes.filter((o) => o.result === 'failed' || o.result === 'skipped').map((o) => o.name));
  const indexes = await writeIndexes(mzbuild, tagGroups(targets, optionsOf), failed);
  const results: PublishOutcome[] = outcomes.map((o) => {
    const error = indexes.failures.get(o.name);
    return error !== undefined && !failed.has(o.name) ? { ...o, result: 'failed', error } : o;
  });
  return { results, summary: formatPublishSummary(outcomes) + indexes.summary };
};

interface TagGroup {
  tag: string;
  force: boolean;
  images: Image[];
}

/** The images whose tasks ask for a tag, grouped by the tag (and force) they ask for. */
function tagGroups(targets: Image[], optionsOf: (name: string) => PublishOptions | undefined): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  for (const image of targets) {
    const { tag, force = false } = optionsOf(image.name) ?? {};
    if (tag === undefined) continue;
    const key = JSON.stringify([tag, force]);
    if (!groups.has(key)) groups.set(key, { tag, force, images: [] });
    groups.get(key)!.images.push(image);
  }
  return [...groups.values()];
}

/** Each group's indexes, as `mzimage publish-multiarch` writes them; a group with an image that failed to publish gets none. */
async function writeIndexes(mzbuild: MzbuildContext, groups: TagGroup[], failed: Set<string>): Promise<{ summary: string; failures: Map<string, string> }> {
  let summary = '';
  const failures = new Map<string, string>();
  for (const { tag, force, images } of groups) {
    const blocked = images.filter((image) => failed.has(image.name)).map((image) => image.name);
    try {
      if (blocked.length > 0) throw new UserError(`no index under ${tag}: ${blocked.join(', ')} not published`);
      const written = await publishMultiArch(mzbuild, images, tag, mzbuild.registry(), { force });
      const signed = (r: (typeof written)[number]) => (r.signed && r.signed.length > 0 ? ` (signed ${r.signed.join(', ')})` : '');
      summary += written.map((r) => `  ${r.name}: ${r.skipped ?? r.references.join(', ') + signed(r)}\n`).join('');
    } catch (error) {
      if (!isUserError(error)) throw error;
      for (const image of images) failures.set(image.name, error.message);
      summary += images.map((image) => `  ${image.name}: ${error.message}\n`).join('');
    }
  }
  return { summary, failures };
}

export default function publishExecutor(options: PublishOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  return runImageTask(publish, options, context);
}

export function batch(taskGraph: TaskGraph, inputs: Record<string, PublishOptions>, _overrides: unknown, context: ExecutorContext): Promise<Record<string, TaskResult>> {
  return runImageBatch(publish, taskGraph, inputs, context);
}
