import { mzimageAsync } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/**
 * Publishing with the real engine and a real registry, behind a proxy that logs (and can cut)
 * every request: base ← mid ← top, all FROM scratch.
 */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let REGISTRY: string;
const prefix = `${uniqueName('pub')}-`;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const MANIFESTS = [INDEX, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  REGISTRY = `${proxy.host}/team`;
  repo = new GitRepo();
  repo.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'),
    'images/base/motd': 'one\n',
    ...image('images/mid', 'mid', 'MZFROM base\n'),
    ...image('images/top', 'top', 'MZFROM mid\n'),
  });
  repo.commit();
});
afterAll(async () => {
  if (repo) for (const arch of ['x86_64', 'aarch64']) removeImages(...Object.values(await references(arch)));
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
});

const cli = (...args: string[]) => mzimageAsync(repo.root, [...args, '--image-registry', REGISTRY, '--image-prefix', prefix], { CI: '' });

async function references(arch = 'x86_64'): Promise<Record<string, string>> {
  const specs = JSON.parse((await cli('spec', '--all', '--json', '--arch', arch)).stdout);
  return Object.fromEntries(specs.map((s: { name: string; reference: string }) => [s.name, s.reference]));
}

/** Asks the registry itself (not through the proxy) for a manifest. */
async function manifest(reference: string): Promise<{ status: number; digest?: string; body?: { manifests?: { digest: string; platform: { architecture: string } }[] } }> {
  const [, repository, tag] = /^[^/]+\/(.+):([^:]+)$/.exec(reference)!;
  const response = await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, { headers: { accept: MANIFESTS } });
  if (response.status !== 200) return { status: response.status };
  return { status: 200, digest: response.headers.get('docker-content-digest') ?? undefined, body: (await response.json()) as never };
}

/**
 * Reads of layer blobs through the proxy: what a pull does. (Reading an image's small config
 * blob, to learn its platform, is not pulling it.)
 */
async function layerReads(): Promise<string[]> {
  const layers = new Set<string>();
  for (const arch of ['x86_64', 'aarch64']) {
    for (const reference of Object.values(await references(arch))) {
      const found = await manifest(reference);
      for (const layer of (found.body as { layers?: { digest: string }[] } | undefined)?.layers ?? []) layers.add(layer.digest);
    }
  }
  return proxy.requests.filter((r) => r.method === 'GET' && layers.has(r.path.split('/').pop()!)).map((r) => r.path);
}

it('with --dry-run, prints the plan and writes nothing', async () => {
  proxy.clear();
  const dry = await cli('ensure', '--all', '--dry-run');
  expect(dry.status).toBe(0);
  expect(dry.stdout.split('\n').map((line) => line.split(/ +/).slice(0, 2).join(' '))).toEqual(['base push', 'mid push', 'top push', '']);
  expect(dry.stdout).toMatch(/^base +push +\S+base:mzbuild-\S+ \(built first\) \(would write the inputs record \S+base:mzbuild-\S+\.inputs\)$/m);
  const plan = JSON.parse((await cli('ensure', '--all', '--dry-run', '--json')).stdout);
  expect(plan.entries.map((e: { name: string; action: string }) => `${e.name} ${e.action}`)).toEqual(['base push', 'mid push', 'top push']);
  expect(plan.acquire.map((e: { name: string; action: string }) => `${e.name} ${e.action}`)).toEqual(['base build', 'mid build', 'top build']);
  expect(proxy.writes()).toEqual([]);
});

it('publishes every image once; publishing again writes nothing', async () => {
  proxy.clear();
  const first = await cli('ensure', '--all');
  expect(first.status).toBe(0);
  expect(first.stdout).toMatch(/3 pushed/);
  // Each fingerprint tag is asked about twice: once for the plan (builds included, from one batch
  // of checks), and once right before its push, since another run may have pushed it meanwhile.
  const asked = proxy.requests.filter((r) => r.method === 'HEAD' && r.path.includes('/manifests/mzbuild-')).map((r) => r.path);
  const tags = Object.values(await references()).map((reference) => `/v2/${reference.split('/').slice(1).join('/').replace(':', '/manifests/')}`);
  expect(asked.sort()).toEqual([...tags, ...tags].sort());
  for (const reference of Object.values(await references())) expect((await manifest(reference)).status).toBe(200);

  proxy.clear();
  const second = await cli('ensure', '--all');
  expect(second.status).toBe(0);
  expect(second.stdout).toMatch(/0 pushed, 0 copied between registries, 3 already published/);
  expect(proxy.writes().map((r) => `${r.method} ${r.path}`)).toEqual([]);
});

it('joins the x86_64 and aarch64 images of one tree into an index, through the registry API alone', async () => {
  expect((await cli('ensure', '--all', '--arch', 'aarch64')).status).toBe(0);
  proxy.clear();
  const result = await cli('publish-multiarch', 'latest', '--all');
  expect(result.status).toBe(0);
  expect(await layerReads()).toEqual([]);

  const x86 = await references('x86_64');
  const arm = await references('aarch64');
  for (const name of ['base', 'mid', 'top']) {
    const index = await manifest(x86[name]!.replace(/:mzbuild-[A-Z2-7]+$/, ':latest'));
    const platforms = Object.fromEntries(index.body!.manifests!.map((m) => [m.platform.architecture, m.digest]));
    expect(platforms).toEqual({ amd64: (await manifest(x86[name]!)).digest, arm64: (await manifest(arm[name]!)).digest });
  }
});

it('refuses to move a version tag that exists, moves it with --force, and always moves latest; none of it pulls', async () => {
  proxy.clear();
  expect((await cli('publish-multiarch', 'v1.2.3', '--all')).status).toBe(0);
  const again = await cli('publish-multiarch', 'v1.2.3', '--all');
  expect(again.status).toBe(1);
  expect(again.stderr).toMatch(/no index was written: version tags are never moved, and these exist: .*base:v1\.2\.3/);
  expect((await cli('publish-multiarch', 'v1.2.3', '--all', '--force')).status).toBe(0);
  expect((await cli('publish-multiarch', 'latest', '--all')).status).toBe(0);
  expect(await layerReads()).toEqual([]);
});

it('names a missing architecture and writes no index', async () => {
  repo.write({ 'images/base/motd': 'two\n' }); // new fingerprints: nothing published for this tree
  expect((await cli('ensure', '--all')).status).toBe(0); // x86_64 only
  proxy.clear();
  const result = await cli('publish-multiarch', 'unstable', 'base');
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/no index was written: aarch64 image \S+base:mzbuild-\S+ is not published/);
  expect(proxy.writes()).toEqual([]);
});

it('copies images that a mirror lacks registry to registry, without docker, and counts them published only then', async () => {
  const mirror = await RegistryServer.start();
  try {
    const options = ['--mirror', `${mirror.host}/mirror`];
    const copied = await cli('ensure', '--all', ...options);
    expect(copied.status).toBe(0);
    expect(copied.stdout).toMatch(/0 pushed, 3 copied between registries/);
    expect(copied.stderr).not.toMatch(/pushing/);
    const again = await cli('ensure', '--all', ...options);
    expect(again.stdout).toMatch(/0 pushed, 0 copied between registries, 3 already published/);
  } finally {
    await mirror.stop();
  }
});

it('leaves no fingerprint tag behind when a push is cut during a blob upload, and completes on the next run', async () => {
  repo.write({ 'images/base/motd': `three ${Date.now()}\n` });
  const base = (await references()).base!;
  proxy.intercept = (req) => (req.method !== 'GET' && req.method !== 'HEAD' && req.path.includes('/blobs/uploads/') ? 'drop' : 'pass');
  const cut = await cli('ensure', 'base');
  expect(cut.status).toBe(1);
  expect(proxy.requests.some((r) => r.dropped)).toBe(true);
  expect((await manifest(base)).status).toBe(404);

  proxy.intercept = undefined;
  const retried = await cli('ensure', 'base');
  expect(retried.status).toBe(0);
  expect(retried.stdout).toMatch(/1 pushed/);
  expect((await manifest(base)).status).toBe(200);
}, 180_000);
