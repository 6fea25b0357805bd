'use strict';
// Removes from packages/*/dist what tsc built from a source file that is gone: `tsc -b` never
// deletes the outputs of a deleted or moved file, and they would be packed and shipped.
const { existsSync, readdirSync, rmSync } = require('node:fs');
const { join, relative } = require('node:path');

const OUTPUT = /\.(d\.ts\.map|d\.ts|js\.map|js)$/;
const BUILT_BY_OTHERS = /^mzimage(-[a-z]+)?\.js(\.map)?$/; // tools/bundle.js

for (const pkg of ['core', 'nx']) {
  const dist = join(__dirname, '..', 'packages', pkg, 'dist');
  const src = join(__dirname, '..', 'packages', pkg, 'src');
  for (const file of walk(dist)) {
    const rel = relative(dist, file);
    if (BUILT_BY_OTHERS.test(rel) || !OUTPUT.test(rel)) continue;
    if (!existsSync(join(src, rel.replace(OUTPUT, '.ts')))) rmSync(file);
  }
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}
