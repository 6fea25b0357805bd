import { acquireImages, type RunOptions } from '../acquire';
import { imageReference } from '../config';
import type { MzbuildContext } from '../context';
import { dockerCommand, pushImage, tagImage } from '../docker/client';
import { isUserError, UserError } from '../errors';
import type { ResolvedImage } from '../fingerprint';
import { RegistryClient, type Existence } from '../registry/client';
import type { Image } from '../repository';
import { Semaphore } from '../semaphore';

/** What publishing did for one image. */
export interface PublishOutcome {
  name: string;
  /** The image's reference in each registry it is published to, the main one first. */
  references: string[];
  result: 'published' | 'pushed' | 'copied' | 'failed' | 'skipped' | 'not published';
  seconds: number;
  error?: string;
}

export type PublishOptions = Pick<RunOptions, 'env' | 'warn' | 'onLine' | 'parallel'>;

/**
 * Publishes every publishable image of the targets and of what they build on under its
 * fingerprint tag, in the registry and every mirror (mzbuild's `ensure`). An image every registry
 * has is left alone: publishing twice writes nothing. One that some registries have is copied to
 * the others, registry to registry. One that none has is built (or taken from the engine) and
 * pushed; a push uploads everything before it writes the tag, so a failed run leaves no tag.
 */
export async function ensurePublished(context: MzbuildContext, targets: Image[], options: PublishOptions): Promise<PublishOutcome[]> {
  const env = options.env ?? process.env;
  const { config, resolver } = context;
  if (!config.registry) {
    throw new UserError('publishing needs a registry: pass --image-registry, set MZBUILD_REGISTRY, or the plugin option "registry" in nx.json');
  }
  const registries = [config.registry, ...config.mirrors];
  const resolved = await resolver.resolve(targets, config);
  resolver.saveCache();
  const referencesOf = (r: ResolvedImage) => registries.map((registry) => imageReference({ ...config, registry }, r.image.name, r.fingerprint));

  // Asked afresh: a publisher that believed a remembered "it exists" would leave a tag missing
  // that a retention policy deleted.
  const client = new RegistryClient({ env, warn: options.warn });
  const publishable = resolved.filter((r) => r.image.manifest.publish);
  const existence = await client.checkExistence(publishable.flatMap(referencesOf));
  const unknown = [...existence].filter(([, state]) => state === 'unknown').map(([reference]) => reference);
  if (unknown.length > 0) {
    throw new UserError(`cannot publish: the registry could not be asked about ${unknown.join(', ')} (see the warning above)`);
  }

  const states = (r: ResolvedImage) => referencesOf(r).map((reference) => existence.get(reference) as Existence);
  const missing = publishable.filter((r) => states(r).every((state) => state === 'absent'));
  const partial = publishable.filter((r) => states(r).some((state) => state === 'present') && states(r).some((state) => state === 'absent'));

  // Images no registry has must be in the engine first: pulled, found or built.
  const built = missing.length > 0
    ? (await acquireImages(context, missing.map((r) => r.image), { ...options, allowLocalBuild: true })).outcomes
    : [];
  const builtByName = new Map(built.map((o) => [o.name, o]));
  const slots = new Semaphore(4);
  const docker = dockerCommand(env);

  return Promise.all(
    resolved.map(async (r): Promise<PublishOutcome> => {
      const started = Date.now();
      const references = referencesOf(r);
      const outcome = (result: PublishOutcome['result'], error?: string): PublishOutcome => ({
        name: r.image.name,
        references,
        result,
        seconds: (Date.now() - started) / 1000,
        ...(error === undefined ? {} : { error }),
      });
      if (!r.image.manifest.publish) return outcome('not published');
      const log = (line: string) => options.onLine(r.image.name, line);
      try {
        if (partial.includes(r)) {
          const source = references.find((reference) => existence.get(reference) === 'present')!;
          for (const target of references.filter((reference) => existence.get(reference) === 'absent')) {
            log(`copying ${source} to ${target}`);
            await slots.run(() => client.copyImage(source, target));
          }
          return outcome('copied');
        }
        if (!missing.includes(r)) return outcome('published');
        const acquired = builtByName.get(r.image.name)!;
        if (acquired.result === 'failed' || acquired.result === 'skipped') return outcome(acquired.result, acquired.error);
        for (const [i, reference] of references.entries()) {
          if (i > 0) await tagImage(docker, references[0]!, reference, env);
          log(`pushing ${reference}`);
          await slots.run(() => pushImage(docker, reference, env));
        }
        return outcome('pushed');
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
