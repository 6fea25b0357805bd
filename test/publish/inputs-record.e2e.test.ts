// Inputs records end to end, with the real engine and a real registry behind a logging proxy: ensure writes them (to mirrors too, once), explain --against reads them (by fingerprint tag, by another tag, through an index), says when there is none, and with trusted keys believes only a signed one.
import type { Explanation } from '../../packages/core/src/explain/compare';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { mzimageAsync } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { putManifest, RegistryServer, sha256 } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/** base ← app, FROM scratch. One setup, the steps in order. */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let dir: string;
let REGISTRY: string;
let MIRROR: string;
const prefix = `${uniqueName('rec')}-`;
const PASSWORD = 'correct horse battery staple';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MANIFESTS = [OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ');
const pushed: string[] = [];

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  REGISTRY = `${proxy.host}/team`;
  MIRROR = `${proxy.host}/mirror`;
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-record-'));
  repo = new GitRepo();
  repo.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'),
    'images/base/motd': 'one\n',
    ...image('images/app', 'app', 'MZFROM base\nCOPY data.txt /data.txt\n'),
    'images/app/data.txt': 'data\n',
  });
  repo.commit();
  const keygen = await mzimageAsync(dir, ['keygen', '--output', join(dir, 'signer')], { MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
  if (keygen.status !== 0) throw new Error(keygen.stderr);
});
afterAll(async () => {
  removeImages(...pushed);
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const signer = () => ({ MZBUILD_SIGNING_KEY: join(dir, 'signer.key'), MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
const cli = (args: string[], env: NodeJS.ProcessEnv = {}, imagePrefix = prefix) =>
  mzimageAsync(repo.root, [...args, '--image-registry', REGISTRY, '--image-prefix', imagePrefix], { CI: '', MZBUILD_SIGNING_KEY: '', MZBUILD_TRUSTED_KEYS: '', ...env });

async function specs(imagePrefix = prefix): Promise<Record<string, { reference: string; fingerprint: string }>> {
  const run = await cli(['spec', '--all', '--json'], {}, imagePrefix);
  const list = JSON.parse(run.stdout) as { name: string; reference: string }[];
  return Object.fromEntries(list.map((s) => [s.name, { reference: s.reference, fingerprint: s.reference.split(':mzbuild-')[1]! }]));
}

/** A manifest of the registry itself (not through the proxy). */
async function manifest(repository: string, tag: string): Promise<{ status: number; body?: string; type?: string }> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, { headers: { accept: MANIFESTS } });
  if (response.status !== 200) return { status: response.status };
  return { status: 200, body: await response.text(), type: response.headers.get('content-type') ?? '' };
}

type Explained = Explanation;

async function explained(args: string[], env: NodeJS.ProcessEnv = {}, imagePrefix = prefix): Promise<Explained> {
  const run = await cli(['explain', ...args, '--json'], env, imagePrefix);
  if (run.status !== 0) throw new Error(run.stderr);
  return (JSON.parse(run.stdout) as Explained[])[0]!;
}

it('ensure --dry-run says it would write the records; ensure writes them to the registry and the mirror, the image first', async () => {
  const dry = await cli(['ensure', 'app', '--dry-run', '--mirror', MIRROR]);
  expect(dry.status).toBe(0);
  expect(dry.stdout).toMatch(/^app +push .*\(would write the inputs record \S+team\/rec-\S+app:mzbuild-\S+\.inputs, \S+mirror\/rec-\S+app:mzbuild-\S+\.inputs\)$/m);

  proxy.clear();
  const first = await cli(['ensure', 'app', '--mirror', MIRROR]);
  expect(first.status).toBe(0);
  expect(first.stdout).toMatch(/mzbuild: 2 pushed, 0 copied between registries, 0 already published\n$/);
  const { app, base } = await specs();
  pushed.push(app!.reference, base!.reference);
  for (const root of ['team', 'mirror']) {
    for (const [name, spec] of Object.entries({ app, base })) {
      const record = await manifest(`${root}/${prefix}${name}`, `mzbuild-${spec!.fingerprint}.inputs`);
      expect(record.status).toBe(200);
      const body = JSON.parse(record.body!) as { artifactType: string; layers: { digest: string }[] };
      expect(body.artifactType).toBe('application/vnd.mzbuild.inputs.v1');
      const layer = await fetch(`http://${registry.host}/v2/${root}/${prefix}${name}/blobs/${body.layers[0]!.digest}`);
      const json = JSON.parse(gunzipSync(Buffer.from(await layer.arrayBuffer())).toString('utf8'));
      expect(json).toMatchObject({ format: 1, image: name, fingerprint: spec!.fingerprint });
    }
  }
  const appRecord = await manifest(`team/${prefix}app`, `mzbuild-${app!.fingerprint}.inputs`);
  const layer = JSON.parse(appRecord.body!).layers[0].digest as string;
  const json = JSON.parse(gunzipSync(Buffer.from(await (await fetch(`http://${registry.host}/v2/team/${prefix}app/blobs/${layer}`)).arrayBuffer())).toString('utf8'));
  expect(json.dependencies).toEqual({ base: base!.fingerprint });
  expect(json.inputs.map((i: { path: string }) => i.path)).toEqual(['images/app/Dockerfile', 'images/app/data.txt', 'images/app/mzbuild.yml']);
  // The record's tag is written after the image's, in each registry.
  const puts = proxy.writes().filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).map((r) => r.path);
  for (const path of puts.filter((p) => p.endsWith('.inputs'))) expect(puts.indexOf(path)).toBeGreaterThan(puts.indexOf(path.replace(/\.inputs$/, '')));
}, 180_000);

it('writes nothing when publishing again: the images and their records are there', async () => {
  proxy.clear();
  const again = await cli(['ensure', 'app', '--mirror', MIRROR]);
  expect(again.status).toBe(0);
  expect(again.stdout).toMatch(/mzbuild: 0 pushed, 0 copied between registries, 2 already published\n$/);
  expect(proxy.writes().map((r) => `${r.method} ${r.path}`)).toEqual([]);
  const dry = await cli(['ensure', 'app', '--dry-run', '--mirror', MIRROR]);
  expect(dry.stdout).not.toMatch(/would write the inputs record/);
}, 120_000);

it('explain --against a fingerprint tag names the inputs, configuration and dependencies that changed since', async () => {
  const { app } = await specs();
  const same = await explained(['app', '--against', `mzbuild-${app!.fingerprint}`]);
  expect(same).toMatchObject({ fingerprint: app!.fingerprint, against: { fingerprint: app!.fingerprint }, changed: [], dependencies: [] });

  repo.write({ 'images/base/motd': 'two\n', 'images/app/extra.txt': 'x\n' });
  try {
    const e = await explained(['app', '--against', `mzbuild-${app!.fingerprint}`]);
    expect(e.against).toEqual({ fingerprint: app!.fingerprint, source: `${REGISTRY}/${prefix}app:mzbuild-${app!.fingerprint}` });
    expect(e).toMatchObject({ added: ['images/app/extra.txt'], changed: [], removed: [], config: [] });
    expect(e.dependencies).toHaveLength(1);
    expect(e.dependencies[0]).toMatchObject({ image: 'base', changed: ['images/base/motd'], added: [], config: [] });

    const text = await cli(['explain', 'app', '--against', `mzbuild-${app!.fingerprint}`]);
    expect(text.stdout).toMatch(/^app: \S+, was \S+ at \S+app:mzbuild-\S+\n  added   images\/app\/extra\.txt\n  base: \S+, was \S+ at \S+\n    changed images\/base\/motd\n$/);
  } finally {
    repo.git('checkout', '-q', '--', '.');
    repo.git('clean', '-qfd');
  }
  const dev = await explained(['app', '--against', `mzbuild-${app!.fingerprint}`, '--dev']);
  expect(dev).toMatchObject({ changed: [], added: [], config: ['profile'] });
  expect(dev.dependencies[0]).toMatchObject({ image: 'base', config: ['profile'] });
}, 120_000);

it('explain --against another tag reads the fingerprint from the image, and through an index the configured architecture\'s', async () => {
  const { app } = await specs();
  const repository = `team/${prefix}app`;
  const image = await manifest(repository, `mzbuild-${app!.fingerprint}`);
  await putManifest(registry.host, repository, 'latest', image.type!, image.body!, {});
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{ mediaType: image.type!, digest: sha256(Buffer.from(image.body!)), size: Buffer.byteLength(image.body!), platform: { os: 'linux', architecture: 'amd64' } }],
  });
  await putManifest(registry.host, repository, 'v1', 'application/vnd.oci.image.index.v1+json', index, {});
  for (const tag of ['latest', 'v1']) {
    const e = await explained(['app', '--against', tag, '--arch', 'x86_64']);
    expect(e).toMatchObject({ against: { fingerprint: app!.fingerprint, source: `${REGISTRY}/${prefix}app:${tag}` }, changed: [], dependencies: [] });
  }
  const arm = await cli(['explain', 'app', '--against', 'v1', '--arch', 'aarch64']);
  expect(arm.status).toBe(1);
  expect(arm.stderr).toMatch(/is an index with no image for linux\/arm64/);
  const full = await explained(['app', '--against', `${REGISTRY}/${prefix}app:latest`, '--arch', 'x86_64']);
  expect(full.against.fingerprint).toBe(app!.fingerprint);
}, 120_000);

it('says an image was published without an inputs record, and ensure attaches one to it', async () => {
  repo.write({ 'images/app/data.txt': 'other\n' });
  repo.commit();
  const { app } = await specs();
  // Someone pushes the image under its tag without mzbuild's publishing (an older mzbuild, say).
  const built = await cli(['acquire', 'app']);
  expect(built.status).toBe(0);
  pushed.push(app!.reference);
  await promisify(execFile)('docker', ['push', '--quiet', app!.reference]);

  const e = await explained(['app', '--against', `mzbuild-${app!.fingerprint}`]);
  expect(e).toMatchObject({ against: { fingerprint: app!.fingerprint }, note: 'published without an inputs record', changed: [], dependencies: [] });
  const text = await cli(['explain', 'app', '--against', `mzbuild-${app!.fingerprint}`]);
  expect(text.stdout).toMatch(/^ {2}published without an inputs record$/m);
  const missing = await cli(['explain', 'app', '--against', 'mzbuild-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
  expect(missing.stdout).toMatch(/^app: \S+, not found in the registry: \S+app:mzbuild-A{32}$/m);

  proxy.clear();
  const ensure = await cli(['ensure', 'app']);
  expect(ensure.status).toBe(0);
  expect(ensure.stdout).toMatch(/2 already published/);
  expect(proxy.writes().filter((r) => r.method === 'PUT' && r.path.includes('/manifests/')).map((r) => r.path)).toEqual([`/v2/team/${prefix}app/manifests/mzbuild-${app!.fingerprint}.inputs`]);
  const now = await explained(['app', '--against', `mzbuild-${app!.fingerprint}`]);
  expect(now.note).toBeUndefined();
}, 180_000);

it('with trusted keys believes only a signed record; ensure with the key signs records, and writes nothing the second time', async () => {
  const trusted = ['--trusted-key', join(dir, 'signer.pub')];
  const { app } = await specs();
  const unsigned = await explained(['app', '--against', `mzbuild-${app!.fingerprint}`, ...trusted]);
  expect(unsigned).toMatchObject({ note: 'the record is not signed by a trusted key', changed: [] });

  const signedPrefix = `${uniqueName('recsig')}-`;
  const first = await cli(['ensure', 'app', ...trusted], signer(), signedPrefix);
  expect(first.status).toBe(0);
  expect(first.stdout + first.stderr).not.toContain(PASSWORD);
  const signed = await specs(signedPrefix);
  pushed.push(signed.app!.reference, signed.base!.reference);
  proxy.clear();
  const again = await cli(['ensure', 'app', ...trusted], signer(), signedPrefix);
  expect(again.status).toBe(0);
  expect(proxy.writes()).toEqual([]);

  repo.write({ 'images/app/data.txt': 'changed again\n' });
  try {
    const e = await explained(['app', '--against', `mzbuild-${signed.app!.fingerprint}`, ...trusted], {}, signedPrefix);
    expect(e).toMatchObject({ changed: ['images/app/data.txt'], dependencies: [] });
    expect(e.note).toBeUndefined();
  } finally {
    repo.git('checkout', '-q', '--', '.');
  }
}, 180_000);

it('fails an image whose record cannot be written, saying it is published and to run again; the next run writes the record', async () => {
  const refusing = await TrafficProxy.start(registry.host, {
    intercept: (req) => (req.method === 'PUT' && req.path.endsWith('.inputs') ? { status: 403, body: '{"errors":[{"code":"DENIED","message":"no"}]}' } : 'pass'),
  });
  const failPrefix = `${uniqueName('recfail')}-`;
  try {
    const run = await mzimageAsync(repo.root, ['ensure', 'base', '--image-registry', `${refusing.host}/team`, '--image-prefix', failPrefix], { CI: '', MZBUILD_SIGNING_KEY: '' });
    pushed.push(`${refusing.host}/team/${failPrefix}base:mzbuild-${(await specs()).base!.fingerprint}`);
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^ {2}base +failed .*: \S+base:mzbuild-\S+ is published, but the inputs record could not be written: .*; run ensure again to write it/m);
    expect(run.stdout + run.stderr).not.toMatch(/^\s+at /m);
  } finally {
    await refusing.stop();
  }
  const base = (await specs(failPrefix)).base!;
  expect((await manifest(`team/${failPrefix}base`, `mzbuild-${base.fingerprint}`)).status).toBe(200);
  const again = await cli(['ensure', 'base'], {}, failPrefix);
  expect(again.status).toBe(0);
  expect((await manifest(`team/${failPrefix}base`, `mzbuild-${base.fingerprint}.inputs`)).status).toBe(200);
}, 120_000);

it('refuses --since with --against, and a full reference for several images', async () => {
  const both = await cli(['explain', 'app', '--since', 'HEAD', '--against', 'latest']);
  expect(both.status).toBe(2);
  expect(both.stderr).toMatch(/--since and --against exclude each other/);
  const several = await cli(['explain', '--all', '--against', `${REGISTRY}/x:latest`]);
  expect(several.status).toBe(2);
  expect(several.stderr).toMatch(/names one published image/);
});
