/** Publishing (mzbuild's `ensure`): carrying out the publish plan, image by image, and its summary. */
import { carryOut, type RunOptions } from '../acquire';
import type { MzbuildContext } from '../context';
import { pushImage, tagImage } from '../docker/client';
import { isUserError } from '../errors';
import type { Image } from '../repository';
import { Semaphore } from '../semaphore';
import { planPublish, type PublishPlan } from './plan';

/** What publishing did for one image. */
export interface PublishOutcome {
  name: string;
  /** The image's reference in each registry it is published to, the main one first. */
  references: string[];
  result: 'published' | 'pushed' | 'copied' | 'failed' | 'skipped' | 'not published';
  seconds: number;
  error?: string;
}

export type PublishOptions = Pick<RunOptions, 'onLine' | 'parallel'>;

/**
 * Publishes every publishable image of the targets and of what they build on under its
 * fingerprint tag, in the registry and every mirror. An image every registry has is left alone:
 * publishing twice writes nothing. One that some registries have is copied to the others,
 * registry to registry. One that none has is built (or taken from the engine) and pushed; a push
 * uploads everything before it writes the tag, so a failed run leaves no tag.
 */
export async function ensurePublished(context: MzbuildContext, targets: Image[], options: PublishOptions): Promise<PublishOutcome[]> {
  return publish(context, await planPublish(context, targets), options);
}

/** Carries out a publish plan. */
export async function publish(context: MzbuildContext, plan: PublishPlan, options: PublishOptions): Promise<PublishOutcome[]> {
  const acquired = plan.acquire.length > 0 ? await carryOut(context, plan.acquire, options) : [];
  const acquiredByName = new Map(acquired.map((o) => [o.name, o]));
  const slots = new Semaphore(4);
  const { env, docker } = context;

  return Promise.all(
    plan.entries.map(async (entry): Promise<PublishOutcome> => {
      const started = Date.now();
      const { references } = entry;
      const outcome = (result: PublishOutcome['result'], error?: string): PublishOutcome => ({
        name: entry.name,
        references,
        result,
        seconds: (Date.now() - started) / 1000,
        ...(error === undefined ? {} : { error }),
      });
      const log = (line: string) => options.onLine(entry.name, line);
      try {
        switch (entry.action) {
          case 'not published':
          case 'published':
            return outcome(entry.action);
          case 'copy':
            for (const target of entry.copy!.to) {
              log(`copying ${entry.copy!.from} to ${target}`);
              await slots.run(() => context.registry().copyImage(entry.copy!.from, target));
            }
            return outcome('copied');
          case 'push': {
            const image = acquiredByName.get(entry.name)!;
            if (image.result === 'failed' || image.result === 'skipped') return outcome(image.result, image.error);
            for (const [i, reference] of references.entries()) {
              if (i > 0) await tagImage(docker, references[0]!, reference, env);
              log(`pushing ${reference}`);
              await slots.run(() => pushImage(docker, reference, env));
            }
            return outcome('pushed');
          }
        }
      } catch (error) {
        if (!isUserError(error)) throw error;
        log(`error: ${error.message}`);
        return outcome('failed', error.message.split('\n')[0]);
      }
    }),
  );
}

export function formatPublishSummary(outcomes: PublishOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length), 5);
  const lines = outcomes.map((o) => {
    const time = o.result === 'pushed' || o.result === 'copied' ? ` in ${o.seconds.toFixed(1)} s` : '';
    return `  ${o.name.padEnd(width)}  ${(o.result + time).padEnd(20)}  ${o.references.join(', ')}${o.error ? `: ${o.error}` : ''}`;
  });
  const count = (result: PublishOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  const totals = [`${count('pushed')} pushed`, `${count('copied')} copied between registries`, `${count('published')} already published`];
  if (count('failed') > 0) totals.push(`${count('failed')} failed`);
  if (count('skipped') > 0) totals.push(`${count('skipped')} not built because a dependency failed`);
  return `${lines.join('\n')}\nmzbuild: ${totals.join(', ')}\n`;
}
