// Trusted keys through Nx: nx.json's trustedKeys make docker-build build rather than pull a planted image, and publish refuse it, or replace and sign it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../packages/core/src/registry/client';
import { readPublicKey, writeKeyPair } from '../../packages/core/src/signing';
import { mzimage } from '../support/cli';
import { imageLabels, removeImages, requireDocker, uniqueName } from '../support/docker';
import { image } from '../support/git-repo';
import { NxWorkspace, plain } from '../support/nx-workspace';
import { RegistryServer } from '../support/registry-server';

/**
 * One image, app, in a real Nx workspace with the real engine and a registry of its own; under
 * app's fingerprint tag someone without the key has pushed another image. The steps run in order.
 */
let ws: NxWorkspace;
let server: RegistryServer;
let REGISTRY: string;
let reference: string;
/** The key pair, outside the workspace: only the public key is committed there. */
let keys: string;
const prefix = `${uniqueName('nxtrust')}-`;
const PASSWORD = 'nx trust password';
const MANIFESTS = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ');

function docker(args: string[], input?: string): string {
  const result = spawnSync('docker', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** The digest app's tag names in the registry now. */
async function digestOfTag(): Promise<string | undefined> {
  const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(reference)!;
  const response = await fetch(`http://${server.host}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFESTS } });
  return response.status === 200 ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
}

beforeAll(async () => {
  requireDocker();
  server = await RegistryServer.start();
  REGISTRY = `${server.host}/team`;
  ws = new NxWorkspace({ registry: REGISTRY, imagePrefix: prefix, trustedKeys: ['keys/cosign.pub'] });
  ws.write({ ...image('images/app', 'app', 'FROM scratch\nCOPY motd /motd\n'), 'images/app/motd': 'app\n' });
  keys = mkdtempSync(join(tmpdir(), 'mzbuild-nx-trust-keys-'));
  await writeKeyPair(keys, PASSWORD);
  mkdirSync(ws.path('keys'));
  copyFileSync(join(keys, 'cosign.pub'), ws.path('keys/cosign.pub'));
  ws.commit();
  reference = JSON.parse(mzimage(ws.root, ['spec', 'app', '--json', '--image-registry', REGISTRY, '--image-prefix', prefix]).stdout)[0].reference;
  // The planted image: not app's, pushed under app's fingerprint tag, then gone from the engine.
  docker(['build', '--quiet', '--label', 'planted=yes', '--tag', reference, '-'], 'FROM scratch\nLABEL planted=yes\n');
  docker(['push', '--quiet', reference]);
  removeImages(reference);
});
afterAll(async () => {
  if (reference) removeImages(reference);
  ws?.dispose();
  await server?.stop();
  if (keys) rmSync(keys, { recursive: true, force: true });
});

it('docker-build builds app rather than pull the planted image; in CI without allowLocalBuild it is refused, saying why', async () => {
  const refused = ws.nx(['run', 'app:docker-build', '--output-style=static'], { MZBUILD_ALLOW_LOCAL_BUILD: '' });
  expect(refused.status).not.toBe(0);
  expect(plain(refused.stdout + refused.stderr)).toMatch(/not signed by a trusted key/);
  expect(plain(refused.stdout + refused.stderr)).not.toMatch(/\n\s+at \S+ \(/); // no stack trace

  const built = plain(ws.nxOk(['run', 'app:docker-build', '--output-style=static'], { MZBUILD_ALLOW_LOCAL_BUILD: '1' }));
  expect(built).toMatch(/^ {2}app +built\b/m);
  const labels = imageLabels(reference);
  expect(labels['planted']).toBeUndefined();
  expect(labels['dev.mzbuild.image']).toBe('app');
}, 120_000);

it('publish fails naming the untrusted tag, and leaves it; with replaceUntrusted it replaces and signs it', async () => {
  const planted = await digestOfTag();
  const env = { MZBUILD_SIGNING_KEY: join(keys, 'cosign.key'), MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD, MZBUILD_ALLOW_LOCAL_BUILD: '1' };
  const refused = ws.nx(['run', 'app:publish', '--output-style=static'], env);
  const said = plain(refused.stdout + refused.stderr);
  expect(refused.status).not.toBe(0);
  expect(said).toContain(`${reference} is there but not signed by a trusted key`);
  expect(said).toMatch(/replaceUntrusted/);
  expect(said).not.toContain(PASSWORD);
  expect(await digestOfTag()).toBe(planted);

  const replaced = plain(ws.nxOk(['run', 'app:publish', '--replaceUntrusted', '--output-style=static'], env));
  expect(replaced).toMatch(/1 pushed.*1 signature written/);
  expect(replaced).not.toContain(PASSWORD);
  const now = await digestOfTag();
  expect(now).not.toBe(planted);
  const client = new RegistryClient({ env: { HOME: ws.root, DOCKER_CONFIG: ws.root, PATH: process.env['PATH'] } });
  try {
    expect(await client.verify(reference, now!, [await readPublicKey({ path: ws.path('keys/cosign.pub') })])).toMatchObject({ trusted: true });
  } finally {
    await client.close();
  }
}, 120_000);

it('with cacheRegistry in nx.json, publish pushes a changed image to the cache registry, not to the registry', async () => {
  ws.setPluginOptions({ registry: REGISTRY, imagePrefix: prefix, trustedKeys: ['keys/cosign.pub'], cacheRegistry: `${server.host}/pr` });
  ws.write({ 'images/app/motd': 'app, changed by a pull request\n' });
  ws.commit();
  const changed: string = JSON.parse(mzimage(ws.root, ['spec', 'app', '--json', '--image-registry', REGISTRY, '--image-prefix', prefix]).stdout)[0].reference;
  try {
    const output = plain(ws.nxOk(['run', 'app:publish', '--output-style=static'], { MZBUILD_ALLOW_LOCAL_BUILD: '1', MZBUILD_SIGNING_KEY: '' }));
    expect(output).toMatch(/1 pushed/);
    const tag = changed.split(':').pop();
    const head = (repository: string) => fetch(`http://${server.host}/v2/${repository}/${prefix}app/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFESTS } });
    expect((await head('pr')).status).toBe(200);
    expect((await head('team')).status).toBe(404);
  } finally {
    removeImages(changed, changed.replace(REGISTRY, `${server.host}/pr`));
  }
}, 120_000);
