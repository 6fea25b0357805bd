/**
 * The publish plan: for each image, whether every registry has it already, some do (copy it
 * registry to registry) or none does (push it, after acquiring it into the engine), decided from
 * one batch of registry checks. It is data, printed by `mzimage ensure --dry-run`, before
 * anything is written.
 */
import { planResolved, type PlanEntry } from '../acquire';
import { imageReference } from '../config';
import type { MzbuildContext } from '../context';
import { UserError } from '../errors';
import type { ResolvedImage } from '../fingerprint';
import type { Existence } from '../registry/client';
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
}

export interface PublishPlan {
  entries: PublishEntry[];
  /** How the images to push get into the engine first: acquire's plan for them and what they build on. */
  acquire: PlanEntry[];
}

export const NO_REGISTRY = 'publishing needs a registry: pass --image-registry, set MZBUILD_REGISTRY, or the plugin option "registry" in nx.json';

/**
 * Plans publishing the targets and what they build on to the registry and every mirror. A
 * registry that cannot be asked is an error: a publisher must not take "cannot tell" for an
 * answer. The answers are asked afresh, never remembered: a remembered "it exists" would skip
 * a tag that a retention policy deleted.
 */
export async function planPublish(context: MzbuildContext, targets: Image[]): Promise<PublishPlan> {
  const { config, resolver } = context;
  if (!config.registry) throw new UserError(NO_REGISTRY);
  const registries = [config.registry, ...config.mirrors];
  const resolved = await resolver.resolve(targets, config);
  resolver.saveCache();
  const referencesOf = (r: ResolvedImage) => registries.map((registry) => imageReference({ ...config, registry }, r.image.name, r.fingerprint));

  const publishable = resolved.filter((r) => r.image.manifest.publish);
  const existence = await context.registry().checkExistence(publishable.flatMap(referencesOf));
  const unknown = [...existence].filter(([, state]) => state === 'unknown').map(([reference]) => reference);
  if (unknown.length > 0) {
    throw new UserError(`cannot publish: the registry could not be asked about ${unknown.join(', ')} (see the warning above)`);
  }

  const entries = resolved.map((r): PublishEntry => {
    const references = referencesOf(r);
    const base = { name: r.image.name, fingerprint: r.fingerprint, references };
    if (!r.image.manifest.publish) return { ...base, action: 'not published' };
    const present = references.filter((reference) => existence.get(reference) === 'present');
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
      : await planResolved(context, await resolver.resolve(toPush.map((r) => r.image), config), { allowLocalBuild: true }, async (references) =>
          new Map(references.map((reference): [string, Existence] => [reference, existence.get(reference) ?? 'unknown'])),
        );
  return { entries, acquire };
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
          : e.references.join(', ');
    return `${e.name.padEnd(width)}  ${e.action.padEnd(13)}  ${detail}\n`;
  });
  return lines.join('');
}
