/** Pushing an image under its references, each only if its tag is still missing: between machines the registry decides, between the runs of one machine a lock. */
import { lockImage } from '../acquire/claims';
import type { MzbuildContext } from '../context';
import { pushImage, tagImage } from '../docker/client';
import type { Semaphore } from '../semaphore';

export interface Pushed {
  /** The references this run pushed. */
  pushed: string[];
  /** The references another run pushed since the plan, with the digest their tag names. */
  meanwhile: Record<string, string>;
}

/**
 * Pushes the image (in the engine under `source`) to each reference, asking the registry
 * first, right before the push: another machine may have built and pushed it since the plan, and
 * then it is not pushed again. On one machine, a lock per reference makes a second run wait for
 * the first's push and then find the tag. A tag there that no trusted key signed is pushed over.
 */
export async function pushWhereMissing(context: MzbuildContext, source: string, references: string[], slots: Semaphore, log: (line: string) => void): Promise<Pushed> {
  const { docker, env } = context;
  const result: Pushed = { pushed: [], meanwhile: {} };
  for (const reference of references) {
    const held = await lockImage(env, `push ${reference}`, (holder) => log(`waiting for another mzbuild run (pid ${holder.pid}) that pushes ${reference}`));
    try {
      const digest = await trustedDigest(context, reference);
      if (digest !== undefined) {
        log(`${reference} appeared in the registry since the plan (another run pushed it): not pushing it again`);
        result.meanwhile[reference] = digest;
        continue;
      }
      if (reference !== source) await tagImage(docker, source, reference, env);
      log(`pushing ${reference}`);
      await slots.run(() => pushImage(docker, reference, env));
      result.pushed.push(reference);
    } finally {
      held?.release();
    }
  }
  return result;
}

/** The digest the registry's tag names now, if it is there and (with trusted keys) trusted; a registry that cannot be asked says nothing. */
async function trustedDigest(context: MzbuildContext, reference: string): Promise<string | undefined> {
  const answer = (await context.registry().checkPresence([reference])).get(reference);
  if (answer?.existence !== 'present' || answer.digest === undefined) return undefined;
  const keys = await context.trustedKeys();
  if (keys.length === 0) return answer.digest;
  const trust = await context.registry().verify(reference, answer.digest, keys, { cache: context.verifiedCache() });
  return trust.trusted ? answer.digest : undefined;
}
