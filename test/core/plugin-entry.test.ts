import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readPluginOptions } from '../../packages/core/src/plugin-options';

/**
 * mzimage and the executors read the plugin's options from nx.json however the entry names the
 * plugin: by package name, by an npm alias, or by a path into the package (relative or absolute).
 */
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mzbuild-plugin-entry-'));
  const write = (file: string, content: unknown) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), JSON.stringify(content));
  };
  write('package.json', { name: 'acme-monorepo' });
  write('node_modules/@mzbuild/nx/package.json', { name: '@mzbuild/nx' });
  write('node_modules/mz-alias/package.json', { name: '@mzbuild/nx' });
  write('node_modules/@nx/js/package.json', { name: '@nx/js' });
  write('tools/mzbuild-nx/package.json', { name: '@mzbuild/nx' });
  write('tools/mzbuild-nx/dist/index.js', {});
  write('tools/other-plugin/index.js', {});
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function optionsWith(plugins: unknown[]) {
  writeFileSync(join(root, 'nx.json'), JSON.stringify({ plugins }));
  return readPluginOptions(root, root);
}

it.each([
  ['its package name', '@mzbuild/nx'],
  ['an npm alias', 'mz-alias'],
  ['a relative path to the package', './node_modules/@mzbuild/nx'],
  ['a relative path to a local copy', './tools/mzbuild-nx'],
  ['a path to a file in a local copy', './tools/mzbuild-nx/dist/index.js'],
  ['an absolute path', '<root>/tools/mzbuild-nx'],
])('finds the entry that names the plugin by %s', (_how, spec) => {
  const plugin = spec.replace('<root>', root);
  expect(optionsWith(['@nx/js', { plugin: './tools/other-plugin', options: { registry: 'not-ours' } }, { plugin, options: { registry: 'ghcr.io/acme/mono' } }])).toEqual({
    registry: 'ghcr.io/acme/mono',
  });
});

it('finds no entry among other plugins, named by package or by a path in the workspace', () => {
  expect(optionsWith(['@nx/js', { plugin: './tools/other-plugin', options: { registry: 'not-ours' } }, { plugin: 'not-installed' }])).toBeUndefined();
});

it('reads trustedKeys relative to the workspace root (the directory of nx.json)', () => {
  expect(optionsWith([{ plugin: '@mzbuild/nx', options: { trustedKeys: ['keys/ci.pub', '/etc/k.pub'] } }])).toEqual({
    trustedKeys: [join(root, 'keys/ci.pub'), '/etc/k.pub'],
  });
});
