/**
 * The publish plan: for each image, whether every registry has it already, some do (copy it
 * registry to registry) or none does (push it, after acquiring it into the engine), decided from
 * one batch of registry checks. It is data, printed by `mzimage ensure --dry-run`, before
 * anything is written.
 */
import { planResolved, shardsOf, verifier, type PlanEntry, type RegistryAnswer, type Sharding } from '../acquire';
import { cacheReferenceOf } from '../acquire/cache-registry';
import { verifyPresent } from '../acquire/plan';
import { imageReference } from '../config';
import type { MzbuildContext } from '../context';
import { UserError } from '../errors';
import type { ResolvedImage } from '../fingerprint';
import type { Presence } from '../registry/client';
import type { Verification } from '../signing/verify';
import type { Image } from '../repository';

export type PublishAction = 'published' | 'copy' | 'push' | 'not published';

export interface PublishEntry {
  name: string;
  fingerprint: string;
  /** The image's reference in each registry it is published to, the main one first. */
  references: string[];
  action: PublishAction;
  /** For `copy`: the reference copied from, and those it is copied to. */
  copy?: { from: string; to: string[] };
  /** The manifest digest each registry's tag names now (from the check), for signing what is there. */
  digests?: Record<string, string>;
  /** With trusted keys and --replace-untrusted: tags there, not signed by a trusted key, that are written over. */
  replaced?: string[];
  /** With a signing key, once `planSigning` has asked: the references publishing would sign (those without our signature). */
  sign?: string[];
  /** Once `planRecords` has asked: the inputs records publishing would write (`…:mzbuild-<fingerprint>.inputs`). */
  record?: string[];
  /** With a cache registry: `published` because the registry has it, which this run only reads (nothing is written or signed). */
  readOnly?: boolean;
  /** In a sharded run: the shard whose share the image is (the others leave its push or copy to it). */
  shard?: number;
}

export interface PublishPlan {
  entries: PublishEntry[];
  /** How the images to push get into the engine first: acquire's plan for them and what they build on. */
  acquire: PlanEntry[];
}

export const NO_REGISTRY = 'publishing needs a registry: pass --image-registry, set MZBUILD_REGISTRY, or the plugin option "registry" in nx.json';

export interface PublishPlanOptions {
  /** Build and push over fingerprint tags that no trusted key signed, instead of failing. */
  replaceUntrusted?: boolean;
  /** A CI shard's run: the shares are computed over the resolved targets and what they build on. */
  sharding?: Sharding;
}

/**
 * Plans publishing the targets and what they build on to the registry and every mirror. A
 * registry that cannot be asked is an error: a publisher must not take "cannot tell" for an
 * answer. The answers are asked afresh, never remembered: a remembered "it exists" would skip
 * a tag that a retention policy deleted. With trusted keys, a tag no trusted key signed is not
 * published: the plan fails naming it, or with `replaceUntrusted` writes over it.
 *
 * With a cache registry, the run is an untrusted one: it publishes there alone, never to the
 * registry or mirrors, which it only reads. An image the registry has (trusted) is published
 * already; one the cache registry has (held to the same rule) too; the rest are pushed to the
 * cache registry. An untrusted tag there is written over without asking (keyless jobs write that
 * namespace, so its tags are unsigned as a rule); one in the registry is not this run's to touch,
 * and is only warned of.
 */
export async function planPublish(context: MzbuildContext, targets: Image[], options: PublishPlanOptions = {}): Promise<PublishPlan> {
  const { config, resolver } = context;
  if (!config.registry) throw new UserError(NO_REGISTRY);
  const toCache = cacheReferenceOf(config);
  // With a cache registry, the run writes there alone; the registry and mirrors are only read.
  const registries = toCache ? [config.cacheRegistry!] : [config.registry, ...config.mirrors];
  const resolved = await resolver.resolve(targets, config);
  resolver.saveCache();
  const shards = options.sharding ? shardsOf(resolved, options.sharding.shard.count) : undefined;
  const referencesOf = (r: ResolvedImage) => registries.map((registry) => imageReference({ ...config, registry }, r.image.name, r.fingerprint));

  const publishable = resolved.filter((r) => r.image.manifest.publish);
  const asked = [...publishable.flatMap(referencesOf), ...(toCache ? publishable.map((r) => r.reference) : [])];
  const existence: Map<string, Presence & { trust?: Verification }> = await context.registry().checkPresence(asked);
  const unknown = [...existence].filter(([, answer]) => answer.existence === 'unknown').map(([reference]) => reference);
  if (unknown.length > 0) {
    throw new UserError(`cannot publish: the registry could not be asked about ${unknown.join(', ')} (see the warning above)`);
  }

  const untrusted = await checkTrust(context, existence);
  const written = new Set(publishable.flatMap(referencesOf));
  const mainUntrusted = toCache ? untrusted.filter((reference) => !written.has(reference)) : [];
  if (mainUntrusted.length > 0) context.warn(`not signed by a trusted key, so not used from the registry: ${mainUntrusted.join(', ')}`);
  if (untrusted.length > 0 && !options.replaceUntrusted && !toCache) {
    throw new UserError(
      `cannot publish: ${untrusted.join(', ')} ${untrusted.length === 1 ? 'is' : 'are'} there but not signed by a trusted key ` +
        '(someone without the key wrote the tag, or it predates signing); pass --replace-untrusted (the replaceUntrusted option) to build and push over it',
    );
  }
  // A tag no trusted key signed counts for nothing: it is written over like a missing one.
  const isPresent = (reference: string) => existence.get(reference)?.existence === 'present' && existence.get(reference)?.trust?.trusted !== false;

  const entries = resolved.map((r): PublishEntry => {
    const references = referencesOf(r);
    const replaced = references.filter((reference) => untrusted.includes(reference));
    const digests = Object.fromEntries(references.filter(isPresent).map((reference) => [reference, existence.get(reference)!.digest!]));
    const shard = shards ? { shard: shards.get(r.image.name)! } : {};
    const base = { name: r.image.name, fingerprint: r.fingerprint, references, digests, ...(replaced.length > 0 ? { replaced } : {}), ...shard };
    if (!r.image.manifest.publish) return { name: r.image.name, fingerprint: r.fingerprint, references, action: 'not published' };
    if (toCache && isPresent(r.reference)) {
      const digest = existence.get(r.reference)!.digest;
      return { name: r.image.name, fingerprint: r.fingerprint, references: [r.reference], digests: digest ? { [r.reference]: digest } : {}, action: 'published', readOnly: true };
    }
    const present = references.filter(isPresent);
    if (present.length === references.length) return { ...base, action: 'published' };
    if (present.length === 0) return { ...base, action: 'push' };
    return { ...base, action: 'copy', copy: { from: present[0]!, to: references.filter((reference) => !present.includes(reference)) } };
  });

  // Images no registry has must be in the engine first: found there, pulled (what they build on)
  // or built. The plan answers from the checks above; a publishing run always may build.
  const toPush = resolved.filter((r) => entries.find((e) => e.name === r.image.name)!.action === 'push');
  const acquire =
    toPush.length === 0
      ? []
      : await planResolved(
          context,
          await resolver.resolve(toPush.map((r) => r.image), config),
          { allowLocalBuild: true, ...(shards ? { shards } : {}) },
          async (references) => new Map(references.map((reference): [string, RegistryAnswer] => [reference, existence.get(reference) ?? 'unknown'])),
          await verifier(context),
        );
  return { entries, acquire };
}

/**
 * With trusted keys, every present image verified (at once, through the run's cache), the answer
 * kept with it for the acquire plan; the references that are there but not trusted.
 */
async function checkTrust(context: MzbuildContext, existence: Map<string, Presence & { trust?: Verification }>): Promise<string[]> {
  const verify = await verifier(context);
  if (verify) await verifyPresent(existence, verify);
  return [...existence].filter(([, answer]) => answer.trust?.trusted === false).map(([reference]) => reference);
}

/**
 * What carrying out the plan would sign, for a dry run to say: everything pushed or copied, and of
 * what is there, each tag that our key has not signed (asked once per image, through the run's
 * verified cache, as signing itself asks). Without a signing key, nothing: the entries stay as they are.
 */
export async function planSigning(context: MzbuildContext, plan: PublishPlan): Promise<PublishPlan> {
  const key = await context.signingKey();
  if (!key) return plan;
  const signedAlready = async (reference: string, digest: string | undefined) =>
    digest !== undefined && (await context.registry().verify(reference, digest, [key.publicKey], { cache: context.verifiedCache() })).trusted;
  const entries = await Promise.all(
    plan.entries.map(async (entry): Promise<PublishEntry> => {
      if (entry.action === 'not published' || entry.readOnly) return entry;
      const there = await Promise.all(entry.references.map((reference) => signedAlready(reference, entry.digests?.[reference])));
      // A push or a copy writes the tag anew, so its signature too; a copy keeps the digest, and one already signed at its source stays signed.
      return { ...entry, sign: entry.references.filter((_, i) => !there[i]) };
    }),
  );
  return { ...plan, entries };
}

/** The plan as `mzimage ensure --dry-run` prints it: a line per image, and how pushed images are acquired. */
export function formatPublishPlan(plan: PublishPlan): string {
  const width = Math.max(...plan.entries.map((e) => e.name.length), 5);
  const how = new Map(plan.acquire.map((a) => [a.name, a]));
  const lines = plan.entries.map((e) => {
    const detail =
      e.action === 'copy'
        ? `copy ${e.copy!.from} to ${e.copy!.to.join(', ')}`
        : e.action === 'push'
          ? `${e.references.join(', ')} (${how.get(e.name)!.action === 'build' ? 'built first' : how.get(e.name)!.action === 'refused' ? 'refused' : 'from the local engine'})`
          : e.readOnly
            ? `${e.references.join(', ')} (in the registry, which a run with a cache registry only reads)`
            : e.references.join(', ');
    const replaced = e.replaced ? ` (replacing untrusted ${e.replaced.join(', ')})` : '';
    const sign = e.sign === undefined ? '' : e.sign.length > 0 ? ` (would sign ${e.sign.join(', ')})` : ' (signed already)';
    const shard = e.shard === undefined ? '' : ` (shard ${e.shard})`;
    const record = e.record && e.record.length > 0 ? ` (would write the inputs record ${e.record.join(', ')})` : '';
    return `${e.name.padEnd(width)}  ${e.action.padEnd(13)}  ${detail}${replaced}${sign}${record}${shard}\n`;
  });
  return lines.join('');
}
