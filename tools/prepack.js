'use strict';
// Run by `npm pack` and `npm publish` in a package directory (its prepack script): puts the
// repository's LICENSE beside the package's own README.md, so that both are in the tarball, and
// refuses to pack a package that is not built. The copied LICENSE is git-ignored.
const { copyFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const dir = process.cwd();
copyFileSync(join(__dirname, '..', 'LICENSE'), join(dir, 'LICENSE'));
for (const needed of ['README.md', 'dist/index.js']) {
  if (!existsSync(join(dir, needed))) {
    process.stderr.write(`prepack: ${join(dir, needed)} is missing${needed.startsWith('dist') ? ': run `npm run build` at the repository root first' : ''}\n`);
    process.exit(1);
  }
}
