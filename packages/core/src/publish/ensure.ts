/** Publishing (mzbuild's `ensure`): carrying out the publish plan, image by image, and its summary. */
import { carryOut, type RunOptions } from '../acquire';
import type { MzbuildContext } from '../context';
import { isUserError, UserError } from '../errors';
import type { Image } from '../repository';
import { Semaphore } from '../semaphore';
import type { SigningKey } from '../signing/keys';
import { pushWhereMissing } from './push';
import { recordStates, writeRecords } from './records';
import { planPublish, type PublishEntry, type PublishPlan, type PublishPlanOptions } from './plan';

/** What publishing did for one image. */
export interface PublishOutcome {
  name: string;
  /** The image's reference in each registry it is published to, the main one first. */
  references: string[];
  /** `other shard`: another CI shard's to push or copy. */
  result: 'published' | 'pushed' | 'copied' | 'other shard' | 'failed' | 'skipped' | 'not published';
  seconds: number;
  error?: string;
  /** With a signing key: the references whose signature this run wrote (none when they were signed already). */
  signed?: string[];
  /** For an image this run built to push: one line of why it was built. */
  why?: string;
  /** The inputs records this run wrote (`…:mzbuild-<fingerprint>.inputs`; none when they were there). */
  records?: string[];
}

export type PublishOptions = Pick<RunOptions, 'onLine' | 'parallel'> & PublishPlanOptions;

/**
 * Publishes every publishable image of the targets and of what they build on under its
 * fingerprint tag, in the registry and every mirror. An image every registry has is left alone:
 * publishing twice writes nothing. One that some registries have is copied to the others,
 * registry to registry. One that none has is built (or taken from the engine) and pushed, unless
 * its tag appeared since the plan (another run pushed it); a push uploads everything before it
 * writes the tag, so a failed run leaves no tag.
 */
export async function ensurePublished(context: MzbuildContext, targets: Image[], options: PublishOptions): Promise<PublishOutcome[]> {
  return publish(context, await planPublish(context, targets, options), options);
}

/** Carries out a publish plan. */
export async function publish(context: MzbuildContext, plan: PublishPlan, options: PublishOptions): Promise<PublishOutcome[]> {
  const acquired = plan.acquire.length > 0 ? await carryOut(context, plan.acquire, options) : [];
  const { sharding } = options;
  const acquiredByName = new Map(acquired.map((o) => [o.name, o]));
  const slots = new Semaphore(4);
  const key = await context.signingKey();
  const states = await recordStates(context, plan);

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
      // The image signed, then its inputs record written beside it (and signed): a record never names an image that is not there.
      const signed = async (result: PublishOutcome['result'], digests: Record<string, string>): Promise<PublishOutcome> => {
        const written = key ? await signAll(context, entry, digests, key, log) : [];
        const records = await writeRecords(context, entry, states.get(entry.name)!, key, log);
        return { ...outcome(result), ...(key ? { signed: written } : {}), records };
      };
      // Another shard's: its push, copy and signatures are that shard's, unless this run had to
      // build the image itself (that shard's time ran out), when pushing it helps whoever waits.
      const foreign = sharding !== undefined && entry.shard !== undefined && entry.shard !== sharding.shard.index;
      if (foreign && entry.action !== 'not published') {
        const here = acquiredByName.get(entry.name)?.result;
        if (entry.action === 'published' || here === 'pulled' || here === 'in registry') return outcome('published');
        const builtHere = here === 'built' || here === 'failed' || here === 'skipped';
        if (entry.action !== 'push' || !builtHere) return outcome('other shard');
      }
      try {
        switch (entry.action) {
          case 'not published':
            return outcome(entry.action);
          case 'published':
            // Found in the registry by a run with a cache registry: not this run's to sign.
            if (entry.readOnly) return outcome('published');
            return await signed('published', entry.digests ?? {});
          case 'copy': {
            const digest = entry.digests?.[entry.copy!.from];
            for (const target of entry.copy!.to) {
              log(`copying ${entry.copy!.from} to ${target}`);
              await slots.run(() => context.registry().copyImage(entry.copy!.from, target));
            }
            // A copy keeps the manifest's bytes, so its digest is the source's; signed at each destination too.
            return await signed('copied', digest ? Object.fromEntries(references.map((reference) => [reference, digest])) : {});
          }
          case 'push': {
            const image = acquiredByName.get(entry.name)!;
            if (image.result === 'failed' || image.result === 'skipped') return outcome(image.result, image.error);
            if (image.pushed) {
              // The builder pushed it under its reference as it built it (it cannot load into an
              // engine); where else it is published, it is copied to through the registry.
              for (const reference of references.filter((r) => r !== image.reference)) {
                log(`copying ${image.reference} to ${reference}`);
                await slots.run(() => context.registry().copyImage(image.reference, reference));
              }
              const done = await signed('pushed', key ? await pushedDigests(context, references) : {});
              return image.why ? { ...done, why: image.why } : done;
            }
            // The engine has it under its reference in the registry; pushed under each reference it is published at.
            const { pushed, meanwhile } = await pushWhereMissing(context, image.reference, references, slots, log);
            const digests = { ...meanwhile, ...(key ? await pushedDigests(context, pushed) : {}) };
            const done = await signed(pushed.length > 0 ? 'pushed' : 'published', digests);
            return image.why ? { ...done, why: image.why } : done;
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

/** What each registry's tag names after the push: the digest the engine's push produced there. */
async function pushedDigests(context: MzbuildContext, references: string[]): Promise<Record<string, string>> {
  const manifests = await Promise.all(references.map((reference) => context.registry().getManifest(reference)));
  return Object.fromEntries(references.flatMap((reference, i) => (manifests[i] ? [[reference, manifests[i]!.digest]] : [])));
}

/**
 * Signs the image under each of its references (the fingerprint tag in each registry); `sign`
 * writes nothing where our signature is there already, so publishing again writes nothing.
 */
async function signAll(context: MzbuildContext, entry: PublishEntry, digests: Record<string, string>, key: SigningKey, log: (line: string) => void): Promise<string[]> {
  const missing = entry.references.filter((reference) => digests[reference] === undefined);
  if (missing.length > 0) throw new UserError(`cannot sign ${missing.join(', ')}: the registry named no digest for it`);
  const outcomes = await Promise.all(entry.references.map((reference) => context.registry().sign(reference, digests[reference]!, key)));
  const written = entry.references.filter((_, i) => outcomes[i]!.written);
  for (const reference of written) log(`signed ${reference}`);
  return written;
}

export function formatPublishSummary(outcomes: PublishOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length), 5);
  const lines = outcomes.map((o) => {
    const time = o.result === 'pushed' || o.result === 'copied' ? ` in ${o.seconds.toFixed(1)} s` : '';
    const signed = o.signed && o.signed.length > 0 ? ` (signed ${o.signed.join(', ')})` : '';
    const because = o.why ? `\n  ${' '.repeat(width)}  why: ${o.why}` : '';
    return `  ${o.name.padEnd(width)}  ${(o.result + time).padEnd(20)}  ${o.references.join(', ')}${signed}${o.error ? `: ${o.error}` : ''}${because}`;
  });
  const count = (result: PublishOutcome['result']) => outcomes.filter((o) => o.result === result).length;
  const totals = [`${count('pushed')} pushed`, `${count('copied')} copied between registries`, `${count('published')} already published`];
  const signed = outcomes.reduce((n, o) => n + (o.signed?.length ?? 0), 0);
  if (outcomes.some((o) => o.signed)) totals.push(`${signed} signature${signed === 1 ? '' : 's'} written`);
  if (count('other shard') > 0) totals.push(`${count('other shard')} left to other shards`);
  if (count('failed') > 0) totals.push(`${count('failed')} failed`);
  if (count('skipped') > 0) totals.push(`${count('skipped')} not built because a dependency failed`);
  return `${lines.join('\n')}\nmzbuild: ${totals.join(', ')}\n`;
}
