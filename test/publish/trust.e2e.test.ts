// Trusted cache hits end to end: keygen, signed publishing, an image planted under a fingerprint tag never used, replaced and signed.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { writeKeyPair } from '../../packages/core/src/signing';
import { mzimageAsync } from '../support/cli';
import { imageExists, imageLabels, removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/**
 * Trusted cache hits, with the real engine and a real registry behind a logging proxy: a (signed
 * when published) and b, whose fingerprint tag someone without the key has planted another image
 * under. One setup, the steps in order.
 */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let dir: string;
let REGISTRY: string;
const prefix = `${uniqueName('trust')}-`;
const PASSWORD = 'correct horse battery staple';
const MANIFESTS = ['application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.index.v1+json'].join(', ');

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  REGISTRY = `${proxy.host}/team`;
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-trust-'));
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
  if (repo) removeImages(...Object.values(await references()));
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const signer = () => ({ MZBUILD_SIGNING_KEY: join(dir, 'signer.key'), MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
const trusted = () => ['--trusted-key', join(dir, 'signer.pub')];
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  mzimageAsync(repo.root, [...args, '--image-registry', REGISTRY, '--image-prefix', prefix], { CI: '', MZBUILD_SIGNING_KEY: '', MZBUILD_TRUSTED_KEYS: '', ...env });

async function references(): Promise<Record<string, string>> {
  const specs = JSON.parse((await cli(['spec', '--all', '--json'])).stdout);
  return Object.fromEntries(specs.map((s: { name: string; reference: string }) => [s.name, s.reference]));
}

/** Asks the registry itself (not through the proxy) for a manifest by tag or digest. */
async function manifest(repository: string, tagOrDigest: string): Promise<{ status: number; digest?: string; layers?: { digest: string }[] }> {
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tagOrDigest}`, { headers: { accept: MANIFESTS } });
  if (response.status !== 200) return { status: response.status };
  const body = (await response.json()) as { layers?: { digest: string }[] };
  return { status: 200, digest: response.headers.get('docker-content-digest') ?? undefined, layers: body.layers ?? [] };
}
const repositoryOf = (reference: string) => reference.split('/').slice(1).join('/').split(':')[0]!;
const tagOf = (reference: string) => reference.split(':').pop()!;
const signatures = async (reference: string) => {
  const { digest } = await manifest(repositoryOf(reference), tagOf(reference));
  return manifest(repositoryOf(reference), `${digest!.replace(':', '-')}.sig`);
};

it('keygen writes a cosign pair, asks for a password it is not given, and never overwrites', async () => {
  const noPassword = await mzimageAsync(dir, ['keygen', '--output', join(dir, 'signer')], { MZBUILD_SIGNING_KEY_PASSWORD: '' });
  expect(noPassword.status).toBe(1);
  expect(noPassword.stderr).toMatch(/set MZBUILD_SIGNING_KEY_PASSWORD/);
  const made = await mzimageAsync(dir, ['keygen', '--output', join(dir, 'signer')], { MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
  expect(made.status).toBe(0);
  expect(readFileSync(join(dir, 'signer.key'), 'utf8')).toMatch(/^-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----/);
  expect(readFileSync(join(dir, 'signer.pub'), 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  expect(statSync(join(dir, 'signer.key')).mode & 0o077).toBe(0);
  const again = await mzimageAsync(dir, ['keygen', '--output', join(dir, 'signer')], { MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
  expect(again.status).toBe(1);
  expect(again.stderr).toMatch(/signer\.key exists already/);
  expect(made.stdout + made.stderr + again.stderr).not.toContain(PASSWORD);
});

it('publishes a signed with the keygen key; publishing it again writes nothing', async () => {
  const first = await cli(['ensure', 'a', ...trusted()], signer());
  expect(first.status).toBe(0);
  expect(first.stdout).toMatch(/1 pushed.*1 signature written/);
  expect(first.stdout + first.stderr).not.toContain(PASSWORD);
  expect((await signatures((await references()).a!)).layers).toHaveLength(1);

  proxy.clear();
  const second = await cli(['ensure', 'a', ...trusted()], signer());
  expect(second.status).toBe(0);
  expect(second.stdout).toMatch(/1 already published, 0 signatures written/);
  expect(proxy.writes()).toEqual([]);
});

it('never uses an image planted under b\'s tag: plan says untrusted, acquire builds b, ensure refuses, --replace-untrusted replaces and signs', async () => {
  const { a, b } = (await references()) as { a: string; b: string };
  // Someone without the key pushes a's image under b's fingerprint tag.
  // Not execFileSync: the proxy that docker pushes through is served by this very process.
  await promisify(execFile)('docker', ['tag', a, b]);
  await promisify(execFile)('docker', ['push', '--quiet', b]);
  removeImages(b);
  const planted = await manifest(repositoryOf(b), tagOf(b));
  expect(planted.status).toBe(200);

  const plan = await cli(['plan', 'b'], { MZBUILD_TRUSTED_KEYS: join(dir, 'signer.pub') });
  expect(plan.status).toBe(0);
  expect(plan.stdout).toMatch(/^b +untrusted +\S+b:mzbuild-\S+ +\(not signed by a trusted key: .+\)$/m);

  const inCi = await cli(['plan', 'b', ...trusted()], { CI: 'true' });
  expect(inCi.status).toBe(1);
  expect(inCi.stdout).toMatch(/^b +refused /m);
  expect(inCi.stderr).toMatch(/not signed by a trusted key.*MZBUILD_ALLOW_LOCAL_BUILD=1/);

  const refused = await cli(['ensure', 'b', ...trusted()], signer());
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(`${b} is there but not signed by a trusted key`);
  expect(refused.stderr).toMatch(/--replace-untrusted/);
  expect((await manifest(repositoryOf(b), tagOf(b))).digest).toBe(planted.digest);

  proxy.clear();
  const acquired = await cli(['acquire', 'b', ...trusted()]);
  expect(acquired.status).toBe(0);
  expect(acquired.stdout).toMatch(/b +built/);
  expect(acquired.stderr.match(/warning: not signed by a trusted key, so not used from the registry: /g)).toHaveLength(1);
  expect(acquired.stderr).toContain(b);
  const plantedBlobs = new Set(planted.layers!.map((l) => l.digest));
  expect(proxy.requests.filter((r) => r.method === 'GET' && (plantedBlobs.has(r.path.split('/').pop()!) || r.path.includes(planted.digest!)))).toEqual([]);
  expect(imageLabels(b)['dev.mzbuild.image']).toBe('b');

  const replaced = await cli(['ensure', 'b', '--replace-untrusted', ...trusted()], signer());
  expect(replaced.status).toBe(0);
  expect(replaced.stdout).toMatch(/1 pushed.*1 signature written/);
  const now = await manifest(repositoryOf(b), tagOf(b));
  expect(now.digest).not.toBe(planted.digest);
  expect((await signatures(b)).layers).toHaveLength(1);

  // Signed now: used from the registry, pulled by its digest and tagged as b.
  removeImages(b);
  expect((await cli(['plan', 'b', ...trusted()])).stdout).toMatch(/^b +registry /m);
  proxy.clear();
  const pulled = await cli(['acquire', 'b', ...trusted()]);
  expect(pulled.status).toBe(0);
  expect(pulled.stdout).toMatch(/b +pulled/);
  expect(proxy.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/manifests/${now.digest}`))).toBe(true);
  // The plan before verified it, and the session saved that: the signature is not read again.
  expect(proxy.requests.filter((r) => r.path.endsWith('.sig'))).toEqual([]);
  expect(imageExists(b)).toBe(true);
}, 180_000);

it('signs with a second key (its PEM text in MZBUILD_SIGNING_KEY): one more layer in the attachment', async () => {
  const second = await writeKeyPair(dir, PASSWORD, 'second');
  const result = await cli(['ensure', 'a', ...trusted()], { MZBUILD_SIGNING_KEY: second.privatePem, MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/1 already published, 1 signature written/);
  expect(result.stdout + result.stderr).not.toContain('PRIVATE KEY');
  expect((await signatures((await references()).a!)).layers).toHaveLength(2);
  expect(existsSync(join(dir, 'second.pub'))).toBe(true);
});

it('ensure --dry-run says what publishing would sign, in text and JSON, and writes nothing', async () => {
  const { a, b } = (await references()) as { a: string; b: string };
  proxy.clear();
  const signedAlready = await cli(['ensure', '--all', '--dry-run', ...trusted()], signer());
  expect(signedAlready.status).toBe(0);
  expect(signedAlready.stdout).toMatch(/^a +published +\S+ \(signed already\)$/m);
  expect(signedAlready.stdout).toMatch(/^b +published +\S+ \(signed already\)$/m);
  const third = await writeKeyPair(dir, PASSWORD, 'third');
  const env = { MZBUILD_SIGNING_KEY: third.privatePem, MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD };
  const text = await cli(['ensure', '--all', '--dry-run', ...trusted()], env);
  expect(text.stdout).toContain(`(would sign ${a})`);
  expect(text.stdout).toContain(`(would sign ${b})`);
  const json = JSON.parse((await cli(['ensure', 'a', '--dry-run', '--json', ...trusted()], env)).stdout);
  expect(json.entries).toEqual([expect.objectContaining({ name: 'a', action: 'published', sign: [a] })]);
  // Without a key, nothing is said of signing.
  const keyless = JSON.parse((await cli(['ensure', 'a', '--dry-run', '--json', ...trusted()])).stdout);
  expect(keyless.entries[0].sign).toBeUndefined();
  expect(proxy.writes()).toEqual([]);
});

it('copies to a mirror, then signs there', async () => {
  const mirror = await RegistryServer.start();
  try {
    const result = await cli(['ensure', 'a', '--mirror', `${mirror.host}/mirror`, ...trusted()], signer());
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/1 copied between registries, 0 already published, 1 signature written/);
    const copy = `${mirror.host}/mirror/${prefix}a:${tagOf((await references()).a!)}`;
    expect(result.stdout).toContain(`signed ${copy}`);
    const digest = (await fetch(`http://${mirror.host}/v2/mirror/${prefix}a/manifests/${tagOf(copy)}`, { method: 'HEAD', headers: { accept: MANIFESTS } })).headers.get('docker-content-digest')!;
    const sig = await fetch(`http://${mirror.host}/v2/mirror/${prefix}a/manifests/${digest.replace(':', '-')}.sig`, { headers: { accept: MANIFESTS } });
    expect(((await sig.json()) as { layers: unknown[] }).layers).toHaveLength(1);
  } finally {
    await mirror.stop();
  }
});
