/** The acquire plan: what to do for each image (local, registry, build, untrusted, refused), decided in one batch before anything is done. */
import type { ResolvedImage } from '../fingerprint';
import type { Existence, Presence } from '../registry/client';
import type { Verification } from '../signing/verify';

/**
 * What to do for each image before it can be used: nothing (`local`: the engine has the
 * reference), `registry` (a registry has it: pull it, or only know that it exists), `build`, or
 * nothing it may do (`refused`: in CI, a publishable image the registry lacks, which a job that
 * only uses images must not build). With trusted keys, an image the registry has but no trusted
 * key signed is `untrusted`: built here as `build` is, since a tag anyone could push is not a
 * cache hit. The plan is data, printed by `mzimage plan`, before anything is done.
 */
export type Action = 'local' | 'registry' | 'build' | 'untrusted' | 'refused';

/** What the registry said of an image: its existence, or that with the digest its HEAD named and, once checked, whether a trusted key signed it. */
export type RegistryAnswer = Existence | (Presence & { trust?: Verification });

export interface PlanEntry {
  name: string;
  fingerprint: string;
  reference: string;
  action: Action;
  publish: boolean;
  /** Direct MZFROM dependencies, by name. */
  dependencies: string[];
  /** Why it is built, or refused, when it is. */
  reason?: string;
  /** For `registry` with trusted keys: the verified digest, pulled as reference@digest so that the tag cannot move between check and pull. */
  digest?: string;
  /** For `refused`: what the registry has is not signed by a trusted key (rather than missing). */
  untrusted?: boolean;
  /** For `registry`, when the registry lacks it and the cache registry has it: the reference pulled (then tagged as `reference`). */
  source?: string;
  /** In a sharded run: the shard (1-based) whose share the image is; another shard's image is waited for in the registry, not built. */
  shard?: number;
}

export interface PlanOptions {
  /** References the local engine has. */
  localImages: Set<string>;
  /** Asks the registry about many references at once; undefined when no registry is configured. */
  checkRegistry?: (references: string[]) => Promise<Map<string, RegistryAnswer>>;
  /**
   * With trusted keys: whether a present image (reference, digest) is signed by one of them, asked
   * for every present image at once. Undefined: no signatures are asked for.
   */
  verify?: (reference: string, digest: string) => Promise<Verification>;
  /**
   * With a cache registry: an image's reference there. What the registry lacks (or has untrusted)
   * is looked for there, in a second batch, and held to the same rule: with `verify`, only a
   * signed image counts.
   */
  cacheReference?: (reference: string) => string;
  /** In CI, a publishable image missing from the registry is refused unless local builds are allowed. */
  ci: boolean;
  /** For all images, or image by image (a batch of Nx tasks with options of their own). */
  allowLocalBuild: boolean | ((name: string) => boolean);
  /** In a sharded run: the shard of each image (acquire/shards.ts), recorded in its entry. */
  shards?: Map<string, number>;
}

/** Plans the given images (dependencies first, as resolved); the registry is asked once, for all. */
export async function makePlan(resolved: ResolvedImage[], options: PlanOptions): Promise<PlanEntry[]> {
  const missingLocally = resolved.filter((r) => !options.localImages.has(r.reference));
  // Images that are not published (publish: false) are never pulled: they are always built here.
  const askable = missingLocally.filter((r) => r.image.manifest.publish).map((r) => r.reference);
  const answers = options.checkRegistry && askable.length > 0 ? await options.checkRegistry(askable) : new Map<string, RegistryAnswer>();
  const existence = new Map([...answers].map(([reference, answer]) => [reference, typeof answer === 'string' ? { existence: answer } : answer]));
  if (options.verify) await verifyPresent(existence, options.verify);
  const cached = await lookInCache(askable.filter((reference) => !isHit(existence.get(reference))), options);

  const allowed = typeof options.allowLocalBuild === 'function' ? options.allowLocalBuild : () => options.allowLocalBuild as boolean;
  return resolved.map((r): PlanEntry => {
    const base = {
      name: r.image.name,
      fingerprint: r.fingerprint,
      reference: r.reference,
      publish: r.image.manifest.publish,
      dependencies: r.image.dependencies,
      ...(options.shards?.has(r.image.name) ? { shard: options.shards.get(r.image.name)! } : {}),
    };
    if (options.localImages.has(r.reference)) return { ...base, action: 'local' };
    if (!r.image.manifest.publish) return { ...base, action: 'build', reason: 'not published (publish: false)' };
    if (!options.checkRegistry) return { ...base, action: 'build', reason: 'no registry configured' };
    const answer = existence.get(r.reference);
    const state = answer?.existence ?? 'unknown';
    const fromCache = cached.get(r.reference);
    const cacheAnswer = fromCache?.answer;
    if (!isHit(answer) && fromCache && isHit(cacheAnswer)) {
      return { ...base, action: 'registry', source: fromCache.reference, ...(cacheAnswer.trust?.trusted ? { digest: cacheAnswer.digest! } : {}) };
    }
    // Said, so that a build in a job with a cache registry is not a mystery: what is there is not trusted.
    const inCache = cacheAnswer?.trust?.trusted === false ? `; the cache registry's is not signed by a trusted key either` : '';
    if (state === 'present' && answer?.trust && !answer.trust.trusted) {
      const reason = `not signed by a trusted key: ${answer.trust.reason}${inCache}`;
      if (options.ci && !allowed(r.image.name)) return { ...base, action: 'refused', untrusted: true, reason: `in CI, the registry's image is ${reason}` };
      return { ...base, action: 'untrusted', reason };
    }
    if (state === 'present') return { ...base, action: 'registry', ...(answer?.trust?.trusted ? { digest: answer.digest! } : {}) };
    if (state === 'absent' && options.ci && !allowed(r.image.name)) return { ...base, action: 'refused', reason: `in CI, expected in the registry${inCache}` };
    return { ...base, action: 'build', reason: (state === 'absent' ? 'not in the registry' : 'the registry could not be asked') + inCache };
  });
}

type Answer = Presence & { trust?: Verification };

/** A registry's answer that makes the image usable from it: there, and trusted or not asked to be. */
function isHit(answer: Answer | undefined): answer is Answer {
  return answer?.existence === 'present' && answer.trust?.trusted !== false;
}

/** What the cache registry says of the references the registry missed (verified as the registry's are), by the registry's reference. */
async function lookInCache(missed: string[], options: PlanOptions): Promise<Map<string, { reference: string; answer: Answer | undefined }>> {
  const { cacheReference, checkRegistry } = options;
  if (!cacheReference || !checkRegistry || missed.length === 0) return new Map();
  const answers = await checkRegistry(missed.map(cacheReference));
  const existence = new Map([...answers].map(([reference, answer]) => [reference, typeof answer === 'string' ? { existence: answer } : answer]));
  if (options.verify) await verifyPresent(existence, options.verify);
  return new Map(missed.map((reference) => [reference, { reference: cacheReference(reference), answer: existence.get(cacheReference(reference)) }]));
}

/** Every present image verified at once (each answer cached by the caller's verify); one without a digest cannot be, and is untrusted. */
export async function verifyPresent(answers: Map<string, Presence & { trust?: Verification }>, verify: NonNullable<PlanOptions['verify']>): Promise<void> {
  await Promise.all(
    [...answers].map(async ([reference, answer]) => {
      if (answer.existence !== 'present' || answer.trust) return;
      answer.trust = answer.digest ? await verify(reference, answer.digest) : { trusted: false, reason: 'the registry named no digest for it' };
    }),
  );
}

/**
 * Why refused images were not built, and what to do: mzbuild's rule that a CI job using images
 * finds them published, since building them would hide a failed publishing job.
 */
export function refusalMessage(references: string[]): string {
  const [these, are, them] = references.length === 1 ? ['this image', 'is', 'it'] : ['these', 'are', 'them'];
  return (
    `in CI, publishable images are expected in the registry, and ${these} ${are} not: ${references.join(', ')}. ` +
    `The job that publishes ${them} probably failed, or has not run yet. To build ${them} here, set MZBUILD_ALLOW_LOCAL_BUILD=1 ` +
    '(or the allowLocalBuild option); publishing (mzimage ensure, the publish target) always builds what it publishes.'
  );
}

/** Why an untrusted image was refused in CI, and what to do. */
export function untrustedRefusal(entry: PlanEntry): string {
  return `${entry.reference}: ${entry.reason}; it is not used, and to build it here set MZBUILD_ALLOW_LOCAL_BUILD=1 (or the allowLocalBuild option)`;
}

export function formatPlan(entries: PlanEntry[]): string {
  const width = Math.max(...entries.map((e) => e.name.length), 4);
  return entries
    .map((e) => `${e.name.padEnd(width)}  ${e.action.padEnd(9)}  ${e.reference}${e.source ? `  (from the cache registry: ${e.source})` : ''}${e.reason ? `  (${e.reason})` : ''}\n`)
    .join('');
}
