/**
 * The Cargo profile images build with by default. mzbuild builds with `--profile optimized`, a
 * profile Materialize defines and ordinary Cargo workspaces lack; cargo then fails with
 * "profile `optimized` is not defined". init adds it to a root Cargo.toml that has none.
 */
import { logger, type Tree } from '@nx/devkit';

const PROFILE = `
# The profile mzbuild images build with by default (--profile optimized); added by @mzbuild/nx:init.
[profile.optimized]
inherits = "release"
`;

/** Appends `[profile.optimized]` to the root Cargo.toml when it has a workspace and no such profile. */
export function addOptimizedProfile(tree: Tree, used: boolean): void {
  const text = tree.read('Cargo.toml', 'utf-8');
  if (text === null || !used || !/^\s*\[workspace\]/m.test(text)) return;
  if (/^\s*\[profile\.optimized\]/m.test(text) || /^\s*profile\.optimized\s*[.=]/m.test(text)) return;
  tree.write('Cargo.toml', `${text}${text.endsWith('\n') || text === '' ? '' : '\n'}${PROFILE}`);
  logger.info('Cargo.toml: added [profile.optimized] (inherits release), the profile images build with by default');
}
