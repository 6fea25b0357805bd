/** `mzimage explain`: why an image is not reused — its fingerprint now and at another revision (--since) or in a published image (--against), and the inputs, configuration and dependencies that differ. */
import { loadContext, type MzbuildContext } from '../context';
import { UserError } from '../errors';
import { explainAgainst } from '../explain/against';
import { explain, type Explanation } from '../explain/compare';
import { formatExplanations } from '../explain/format';
import { imageStates } from '../explain/state';
import { runGit } from '../git';
import { findImages } from '../repository';
import type { Invocation } from './args';

export async function explainCommand(context: MzbuildContext, invocation: Invocation, cwd: string): Promise<string> {
  const format = (explanations: Explanation[]) => (invocation.json ? `${JSON.stringify(explanations, null, 2)}\n` : formatExplanations(explanations));
  if (invocation.against !== undefined) {
    const targets = invocation.all ? context.repository.images : findImages(context.repository, invocation.images);
    try {
      return format(await explainAgainst(context, targets, invocation.against));
    } finally {
      // Saves the signatures verified, and lets the registry's connections go.
      await context.close();
    }
  }
  const root = context.repository.root;
  const rev = invocation.since ?? (await defaultBase(root));
  const then = await loadContext({ cwd, flags: invocation.flags, env: context.env, warn: context.warn, persistentCache: true, rev });
  const commit = then.repository.commit!;
  const source = commit.startsWith(rev) ? commit.slice(0, 12) : `${rev} (${commit.slice(0, 12)})`;
  const targets = invocation.all ? context.repository.images : findImages(context.repository, invocation.images);
  const now = await imageStates(context, targets);
  // Each image as it was at the revision, where it was there: a new image is new, not an error.
  const thenTargets = targets.flatMap((image) => {
    const there = then.repository.byName.get(image.name);
    return there ? [there] : [];
  });
  const before = await imageStates(then, thenTargets);
  then.resolver.saveCache();
  const explanations = targets.map((image) =>
    explain(
      image.name,
      (name) => now.get(name),
      (name) => before.get(name),
      source,
    ),
  );
  return format(explanations);
}

/**
 * What a change is compared with when no revision is given: where it left the default branch
 * (the merge base of HEAD and `origin/HEAD`), as a pull request is.
 */
async function defaultBase(root: string): Promise<string> {
  try {
    await runGit(root, ['rev-parse', '--verify', '--quiet', 'origin/HEAD']);
  } catch {
    throw new UserError(
      'explain: there is no origin/HEAD to compare with; give --since REV (a branch, tag or commit), or set origin/HEAD with `git remote set-head origin --auto`',
    );
  }
  return (await runGit(root, ['merge-base', 'HEAD', 'origin/HEAD'])).trim();
}
