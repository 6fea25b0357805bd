'use strict';
// Bundles the mzimage CLI. Loading zod and yaml from their ~170 separate modules costs Node ~120 ms
// of module resolution at every start; bundled files load in a fraction of that. Bundling from the
// TypeScript sources (tsc has type-checked them) lets esbuild take the ES module builds of its
// dependencies and leave out what is never used, such as zod's 40 locales. The library
// (dist/index.js) stays unbundled.
//
// The CLI is six files, so that a run reads only the code it runs: even unevaluated, a megabyte
// of bundled code costs ~10 ms to load.
// - mzimage.js: the commands, the caches and the fingerprint: all that a run in which nothing
//   changed needs.
// - mzimage-parsers.js: YAML, TOML and the zod schemas (src/parsers.ts), required only when a
//   cache has no answer.
// - mzimage-images.js: plan, acquire, run, ensure and publish-multiarch (src/cli/acquire.ts), with
//   the registry client (undici) and the builders.
// - mzimage-registry.js: the registry client (src/registry/client.ts) with undici, which the
//   session requires when a command first asks for it, and the image commands use.
// - mzimage-cache-server.js: cache-server (src/cli/cache-server.ts and the cache-server room),
//   loading the registry client from mzimage-registry.js.
// - mzimage-errors.js: src/errors.ts, once for all: `instanceof UserError` must hold for an
//   error thrown in any of them.
const { build } = require('esbuild');
const { existsSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const core = join(__dirname, '../packages/core');
const src = join(core, 'src');

/** Source module → the file it is bundled into, and loaded from by the other bundles. */
const BUNDLES = {
  'cli/main.ts': 'mzimage.js',
  'parsers.ts': 'mzimage-parsers.js',
  'cli/acquire.ts': 'mzimage-images.js',
  'errors.ts': 'mzimage-errors.js',
  'registry/client.ts': 'mzimage-registry.js',
  'cli/cache-server.ts': 'mzimage-cache-server.js',
};

/** Libraries that only a cache miss or an image command needs: never in mzimage.js. */
const NOT_IN_MAIN = ['yaml', 'zod', 'smol-toml', 'undici'];

/** Resolves a relative import of the sources to its .ts file, as esbuild would. */
function sourceFile(specifier, resolveDir) {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(resolveDir, specifier);
  return [`${base}.ts`, join(base, 'index.ts'), base].find((file) => file.endsWith('.ts') && existsSync(file));
}

/** Makes imports of another bundle's entry module external, loaded from that bundle's file. */
function splitPlugin(entry) {
  return {
    name: 'mzimage-split',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const file = sourceFile(args.path, args.resolveDir);
        if (!file) return undefined;
        const module = relative(src, file).split('\\').join('/');
        const bundle = BUNDLES[module];
        if (bundle === undefined || module === entry) return undefined;
        return { path: `./${bundle}`, external: true };
      });
    },
  };
}

async function bundle(entry, outfile) {
  const result = await build({
    entryPoints: [join(src, entry)],
    outfile: join(core, 'dist', outfile),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    logLevel: 'warning',
    metafile: true,
    // tweetnacl (nacl/secretbox of cosign's key files) is required from node_modules when a key is
    // read: bundled, its 70 KB would be read by every run, signing or not.
    external: ['tweetnacl'],
    plugins: [splitPlugin(entry)],
  });
  if (outfile === 'mzimage.js') {
    const inputs = Object.keys(Object.values(result.metafile.outputs).find((o) => o.entryPoint)?.inputs ?? {});
    for (const library of NOT_IN_MAIN) {
      const found = inputs.find((input) => input.includes(`node_modules/${library}/`));
      if (found) throw new Error(`tools/bundle.js: mzimage.js must not hold ${library} (${found}); a module on the warm path imports it statically`);
    }
  }
}

Promise.all(Object.entries(BUNDLES).map(([entry, outfile]) => bundle(entry, outfile))).catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exitCode = 1;
});
