/** Explanations of images against another revision's tree: the session of that tree made beside this one, both resolved, compared. */
import { loadContext, type MzbuildContext } from '../context';
import { UserError } from '../errors';
import type { Image } from '../repository';
import { defaultBase } from './base';
import { explain, reasonLine, type Explanation } from './compare';
import { imageStates } from './state';

/**
 * Why each of `targets` has the fingerprint it has, against the tree of `since` (default: the
 * merge base with origin/HEAD), in the same configuration. An image not at that revision is new.
 */
export async function explainSince(context: MzbuildContext, targets: Image[], since?: string): Promise<Explanation[]> {
  const base = since === undefined ? await defaultBase(context.repository.root) : undefined;
  if (since === undefined && !base) {
    throw new UserError(
      'explain: there is no origin/HEAD to compare with; give --since REV (a branch, tag or commit), or set origin/HEAD with `git remote set-head origin --auto`',
    );
  }
  return explainAgainstTree(context, targets, since ?? base!.rev, base?.label);
}

/** The explanations against the tree of `rev`, named `label` (by default, by the revision and its commit). */
async function explainAgainstTree(context: MzbuildContext, targets: Image[], rev: string, label?: string): Promise<Explanation[]> {
  const then = await loadContext({ cwd: context.repository.root, env: context.env, warn: context.warn, persistentCache: true, rev, config: context.config });
  const commit = then.repository.commit!;
  const source = label ?? (commit.startsWith(rev) ? commit.slice(0, 12) : `${rev} (${commit.slice(0, 12)})`);
  const now = await imageStates(context, targets);
  // Each image as it was at the revision, where it was there: a new image is new, not an error.
  const before = await imageStates(
    then,
    targets.flatMap((image) => then.repository.byName.get(image.name) ?? []),
  );
  then.resolver.saveCache();
  return targets.map((image) => explain(image.name, (name) => now.get(name), (name) => before.get(name), source));
}

/**
 * One line of why for each image a run builds, against the merge base with origin/HEAD, for the
 * build summaries. Never an error: where nothing can be compared, the line says what is known.
 */
export async function whyBuilt(context: MzbuildContext, targets: Image[]): Promise<Map<string, string>> {
  const missing = new Map(targets.map((image) => [image.name, 'neither the engine nor a registry has it']));
  const base = targets.length > 0 ? await defaultBase(context.repository.root) : undefined;
  if (!base) return missing;
  try {
    const explanations = await explainAgainstTree(context, targets, base.rev, base.label);
    return new Map(
      explanations.map((e) => {
        const line = reasonLine(e);
        // The same image as on the default branch, yet built: that branch never published it.
        return [e.image, e.against.fingerprint === e.fingerprint ? `${line}, but neither the engine nor a registry has it` : line];
      }),
    );
  } catch {
    return missing;
  }
}
