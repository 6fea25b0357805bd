// A multi-arch index and its per-architecture images, all signed and verified, with the real engine and a real registry.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '../../packages/core/src/registry/client';
import { readPublicKey, writeKeyPair, type PublicKey } from '../../packages/core/src/signing';
import { mzimageAsync } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/**
 * a is published signed for both architectures; b's aarch64 image is pushed by someone without
 * the key. The steps run in order on one setup.
 */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let dir: string;
let REGISTRY: string;
let key: PublicKey;
let client: RegistryClient;
const prefix = `${uniqueName('matrust')}-`;
const PASSWORD = 'a multi-arch password';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFESTS = [INDEX, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  REGISTRY = `${proxy.host}/team`;
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-multiarch-trust-'));
  await writeKeyPair(dir, PASSWORD);
  key = await readPublicKey({ path: join(dir, 'cosign.pub') });
  client = new RegistryClient({ env: { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env['PATH'] } });
  repo = new GitRepo();
  repo.write({
    ...image('images/a', 'a', 'FROM scratch\nCOPY motd /motd\n'),
    'images/a/motd': 'a\n',
    ...image('images/b', 'b', 'FROM scratch\nCOPY motd /motd\n'),
    'images/b/motd': 'b\n',
  });
  repo.commit();
});
afterAll(async () => {
  if (repo) for (const arch of ['x86_64', 'aarch64']) removeImages(...Object.values(await references(arch)));
  await client?.close();
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const trusted = () => ['--trusted-key', join(dir, 'cosign.pub')];
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  mzimageAsync(repo.root, [...args, '--image-registry', REGISTRY, '--image-prefix', prefix], { CI: '', MZBUILD_SIGNING_KEY: '', MZBUILD_TRUSTED_KEYS: '', ...env });
const signing = () => ({ MZBUILD_SIGNING_KEY: join(dir, 'cosign.key'), MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });

async function references(arch: string): Promise<Record<string, string>> {
  const specs = JSON.parse((await cli(['spec', '--all', '--json', '--arch', arch])).stdout);
  return Object.fromEntries(specs.map((s: { name: string; reference: string }) => [s.name, s.reference]));
}

/** The manifest under a tag, asked of the registry itself (not through the proxy). */
async function manifest(reference: string): Promise<{ status: number; digest?: string; body?: { manifests?: { digest: string; platform: { architecture: string } }[] } }> {
  const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(reference)!;
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, { headers: { accept: MANIFESTS } });
  if (response.status !== 200) return { status: response.status };
  return { status: 200, digest: response.headers.get('docker-content-digest') ?? undefined, body: (await response.json()) as never };
}

it('signs the index it writes, lists the verified per-architecture images, all signed; writing it again writes nothing', async () => {
  for (const arch of ['x86_64', 'aarch64']) expect((await cli(['ensure', 'a', '--arch', arch, ...trusted()], signing())).status).toBe(0);

  const dry = await cli(['publish-multiarch', 'latest', 'a', '--dry-run', ...trusted()], signing());
  expect(dry.status).toBe(0);
  const target = `${REGISTRY}/${prefix}a:latest`;
  expect(dry.stdout).toContain(`would write ${target} (and sign ${target})`);
  expect((await manifest(target)).status).toBe(404);

  const result = await cli(['publish-multiarch', 'latest', 'a', ...trusted()], signing());
  expect(result.status).toBe(0);
  expect(result.stdout).toContain(`${target} (signed ${target})`);
  expect(result.stdout + result.stderr).not.toContain(PASSWORD);

  const index = await manifest(target);
  const x86 = (await references('x86_64')).a!;
  const arm = (await references('aarch64')).a!;
  const perArch = Object.fromEntries(index.body!.manifests!.map((m) => [m.platform.architecture, m.digest]));
  expect(perArch).toEqual({ amd64: (await manifest(x86)).digest, arm64: (await manifest(arm)).digest });
  // The index and both images it lists carry a signature by the key, naming their own tags.
  expect(await client.verify(target, index.digest!, [key])).toMatchObject({ trusted: true });
  expect(await client.verify(x86, perArch['amd64']!, [key])).toMatchObject({ trusted: true });
  expect(await client.verify(arm, perArch['arm64']!, [key])).toMatchObject({ trusted: true });
  expect(await client.verify(`${REGISTRY}/${prefix}a:unstable`, index.digest!, [key])).toMatchObject({ trusted: false });

  proxy.clear();
  const again = await cli(['publish-multiarch', 'latest', 'a', ...trusted()], signing());
  expect(again.status).toBe(0);
  expect(again.stdout).not.toContain('(signed');
  expect(proxy.writes()).toEqual([]);
}, 180_000);

it('refuses an index of a per-architecture image no trusted key signed, naming it; once replaced and signed, writes it', async () => {
  expect((await cli(['ensure', 'b', '--arch', 'x86_64', ...trusted()], signing())).status).toBe(0);
  // Someone without the key publishes b's aarch64 image (no trusted keys asked for either).
  expect((await cli(['ensure', 'b', '--arch', 'aarch64'])).status).toBe(0);
  const arm = (await references('aarch64')).b!;
  const target = `${REGISTRY}/${prefix}b:latest`;

  const refused = await cli(['publish-multiarch', 'latest', 'b', ...trusted()], signing());
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(`no index was written: aarch64 image ${arm} is not signed by a trusted key`);
  expect(refused.stderr).toMatch(/ensure --replace-untrusted --arch aarch64/);
  expect(refused.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect((await manifest(target)).status).toBe(404);

  expect((await cli(['ensure', 'b', '--arch', 'aarch64', '--replace-untrusted', ...trusted()], signing())).status).toBe(0);
  const written = await cli(['publish-multiarch', 'latest', 'b', ...trusted()], signing());
  expect(written.status).toBe(0);
  const index = await manifest(target);
  expect(await client.verify(target, index.digest!, [key])).toMatchObject({ trusted: true });
}, 180_000);
