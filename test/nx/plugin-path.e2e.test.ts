import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { image } from '../support/git-repo';
import { NxWorkspace } from '../support/nx-workspace';
import { LOOPBACK_REGISTRY, requireLoopbackRegistry } from '../support/registry';
import { mzimage } from '../support/cli';

/**
 * Nx lets a workspace name a plugin by a path (a local plugin, or the package's own directory);
 * the executors and mzimage must find the plugin's options there too, or publishing has no registry.
 */
let ws: NxWorkspace;
const prefix = `${uniqueName('path')}-`;
const REGISTRY = `${LOOPBACK_REGISTRY}/mzbuild-e2e`;

beforeAll(async () => {
  requireDocker();
  await requireLoopbackRegistry();
  ws = new NxWorkspace();
  ws.write({ ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'), 'images/base/motd': `${prefix}\n` });
  ws.commit();
});
afterAll(() => {
  if (ws) removeImages(`${REGISTRY}/${prefix}base:mzbuild-${mzimage(ws.root, ['fingerprint', 'base']).stdout.trim()}`);
  ws?.dispose();
});

it.each([
  ['a relative path', () => './node_modules/@mzbuild/nx'],
  ['an absolute path', () => ws.path('node_modules/@mzbuild/nx')],
])('reads the options of a plugin named by %s, in mzimage and in the executors', (_how, spec) => {
  ws.pluginSpec = spec();
  ws.setPluginOptions({ registry: REGISTRY, imagePrefix: prefix });
  const reference = mzimage(ws.root, ['spec', 'base']).stdout.trim();
  expect(reference).toMatch(new RegExp(`^${REGISTRY}/${prefix}base:mzbuild-[A-Z2-7]{32}$`));
  expect(ws.nxOk(['run', 'base:fingerprint', '--output-style=static'])).toContain(reference);
  const published = ws.nxOk(['run', 'base:publish', '--output-style=static'], { MZBUILD_ALLOW_LOCAL_BUILD: '' });
  expect(published).toMatch(/mzbuild: (1 pushed|0 pushed, 0 copied between registries, 1 already published)/);
  expect(published).toContain(reference);
});
