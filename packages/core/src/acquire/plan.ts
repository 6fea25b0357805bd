/** The acquire plan: what to do for each image (local, registry, build, refused), decided in one batch before anything is done. */
import type { ResolvedImage } from '../fingerprint';
import type { Existence } from '../registry/client';

/**
 * What to do for each image before it can be used: nothing (`local`: the engine has the
 * reference), `registry` (a registry has it: pull it, or only know that it exists), `build`, or
 * nothing it may do (`refused`: in CI, a publishable image the registry lacks, which a job that
 * only uses images must not build). The plan is data, printed by `mzimage plan`, before anything
 * is done.
 */
export type Action = 'local' | 'registry' | 'build' | 'refused';

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
}

export interface PlanOptions {
  /** References the local engine has. */
  localImages: Set<string>;
  /** Asks the registry about many references at once; undefined when no registry is configured. */
  checkRegistry?: (references: string[]) => Promise<Map<string, Existence>>;
  /** In CI, a publishable image missing from the registry is refused unless local builds are allowed. */
  ci: boolean;
  /** For all images, or image by image (a batch of Nx tasks with options of their own). */
  allowLocalBuild: boolean | ((name: string) => boolean);
}

/** Plans the given images (dependencies first, as resolved); the registry is asked once, for all. */
export async function makePlan(resolved: ResolvedImage[], options: PlanOptions): Promise<PlanEntry[]> {
  const missingLocally = resolved.filter((r) => !options.localImages.has(r.reference));
  // Images that are not published (publish: false) are never pulled: they are always built here.
  const askable = missingLocally.filter((r) => r.image.manifest.publish).map((r) => r.reference);
  const existence = options.checkRegistry && askable.length > 0 ? await options.checkRegistry(askable) : new Map<string, Existence>();

  const allowed = typeof options.allowLocalBuild === 'function' ? options.allowLocalBuild : () => options.allowLocalBuild as boolean;
  return resolved.map((r): PlanEntry => {
    const base = {
      name: r.image.name,
      fingerprint: r.fingerprint,
      reference: r.reference,
      publish: r.image.manifest.publish,
      dependencies: r.image.dependencies,
    };
    if (options.localImages.has(r.reference)) return { ...base, action: 'local' };
    if (!r.image.manifest.publish) return { ...base, action: 'build', reason: 'not published (publish: false)' };
    if (!options.checkRegistry) return { ...base, action: 'build', reason: 'no registry configured' };
    const state = existence.get(r.reference) ?? 'unknown';
    if (state === 'present') return { ...base, action: 'registry' };
    if (state === 'absent' && options.ci && !allowed(r.image.name)) return { ...base, action: 'refused', reason: 'in CI, expected in the registry' };
    return { ...base, action: 'build', reason: state === 'absent' ? 'not in the registry' : 'the registry could not be asked' };
  });
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

export function formatPlan(entries: PlanEntry[]): string {
  const width = Math.max(...entries.map((e) => e.name.length), 4);
  return entries
    .map((e) => `${e.name.padEnd(width)}  ${e.action.padEnd(8)}  ${e.reference}${e.reason ? `  (${e.reason})` : ''}\n`)
    .join('');
}
