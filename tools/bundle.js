'use strict';
// Bundles the mzimage CLI into one file. Loading zod and yaml from their ~170 separate modules
// costs Node ~120 ms of module resolution at every start; one bundled file loads in a fraction of
// that, and the CLI is started once per command. Bundling from the TypeScript sources (tsc has
// type-checked them) lets esbuild take the ES module builds of its dependencies and leave out what
// is never used, such as zod's 40 locales. The library (dist/index.js) stays unbundled.
const { buildSync } = require('esbuild');
const { join } = require('node:path');

const core = join(__dirname, '../packages/core');
buildSync({
  entryPoints: [join(core, 'src/cli/main.ts')],
  outfile: join(core, 'dist/mzimage.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
});
