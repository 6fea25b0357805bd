/** Before images' pre-images run: what git ignores in their directories (an earlier build's outputs) removed, as mzbuild's `git clean -ffdX`. */
import { runGit } from '../git';

/**
 * Removes every file and directory that git ignores in the given image directories
 * (root-relative), in one git call: outputs an earlier build left there (a binary no longer
 * built, an extracted file no longer asked for) would otherwise go into the next image, since
 * the docker build's context is the whole directory. What git tracks, and untracked files it does
 * not ignore, are left alone: `-X` removes ignored files only. `-ff` removes ignored nested
 * repositories too, as mzbuild's does. An image at the repository root is not cleaned: that would
 * remove the cargo target directory and everything else the repository ignores. Each removal is
 * reported to `onOutput` as git words it.
 */
export async function cleanImageDirectories(root: string, dirs: string[], onOutput?: (line: string) => void): Promise<void> {
  const cleaned = [...new Set(dirs)].filter((dir) => dir !== '' && dir !== '.');
  if (cleaned.length === 0) return;
  // Literal pathspecs from the top: a directory name holding `*` or `:` means that directory.
  const output = await runGit(root, ['clean', '-ffdX', '--', ...cleaned.map((dir) => `:(top,literal)${dir}/`)]);
  for (const line of output.split('\n')) if (line !== '') onOutput?.(line);
}
