/** What a change is compared with when no revision is given: where HEAD left the default branch, as a pull request is. */
import { runGit } from '../git';

export interface Base {
  /** The merge base of HEAD and the default branch. */
  rev: string;
  /** How to name it: `origin/main (merge base 3f2a1b9c0d1e)`. */
  label: string;
}

/** The merge base of HEAD and `origin/HEAD`; undefined where there is no `origin/HEAD` (or no common history). */
export async function defaultBase(root: string): Promise<Base | undefined> {
  try {
    const branch = (await runGit(root, ['symbolic-ref', '--short', 'refs/remotes/origin/HEAD'])).trim();
    const rev = (await runGit(root, ['merge-base', 'HEAD', 'refs/remotes/origin/HEAD'])).trim();
    return { rev, label: `${branch} (merge base ${rev.slice(0, 12)})` };
  } catch {
    return undefined;
  }
}
