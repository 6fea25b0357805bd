// Acceptance of Nx's remote cache in the registry, with real nx and a real registry: one clone stores, a fresh one gets a remote hit; faults never fail a run; two writers of one hash.
import { readFileSync } from 'node:fs';
import { plain, type NxWorkspace } from '../support/nx-workspace';
import { cacheableWorkspace, nxAsync, uniqueRepository } from '../support/cache-server';
import { LOOPBACK_REGISTRY, requireLoopbackRegistry } from '../support/registry';
import { freePort } from '../support/registry-server';
import { FaultProxy } from '../registry/fault-proxy';

jest.setTimeout(180_000);

const workspaces: NxWorkspace[] = [];
const proxies: FaultProxy[] = [];
beforeAll(requireLoopbackRegistry);
afterAll(async () => {
  for (const ws of workspaces.splice(0)) ws.dispose();
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});

/** A fresh clone: the same files in a new directory, with its own empty local cache. */
function clone(repository: string, salt: string, size?: number): NxWorkspace {
  const ws = cacheableWorkspace({ remoteCache: { repository } }, size, salt);
  workspaces.push(ws);
  return ws;
}

async function build(ws: NxWorkspace): Promise<{ status: number | null; output: string }> {
  const run = await nxAsync(ws, ['run', 'app:build']);
  return { status: run.status, output: plain(run.stdout + run.stderr) };
}

async function tags(repository: string): Promise<string[]> {
  const [host, ...path] = repository.split('/');
  const response = await fetch(`http://${host}/v2/${path.join('/')}/tags/list`);
  if (response.status === 404) return [];
  return ((await response.json()) as { tags?: string[] | null }).tags ?? [];
}

function remoteHit(output: string): boolean {
  return /\[remote cache\]/.test(output);
}

it('stores a task’s outputs from one clone and restores them in a fresh one, as an OCI artifact in the registry', async () => {
  const repository = uniqueRepository(LOOPBACK_REGISTRY, 'accept');
  const first = clone(repository, 'accept');
  const one = await build(first);
  expect(one.status).toBe(0);
  expect(one.output).toContain('BUILT');
  expect(remoteHit(one.output)).toBe(false);

  const stored = await tags(repository);
  expect(stored).toHaveLength(1);
  expect(stored[0]).toMatch(new RegExp(`^nx-${process.platform}-${process.arch}-\\d+$`));
  const [host, ...path] = repository.split('/');
  const manifest = (await (await fetch(`http://${host}/v2/${path.join('/')}/manifests/${stored[0]}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).json()) as {
    artifactType: string;
    config: { mediaType: string };
    layers: { mediaType: string; size: number }[];
  };
  expect(manifest.artifactType).toBe('application/vnd.mzbuild.nx-cache.v1');
  expect(manifest.config.mediaType).toBe('application/vnd.oci.empty.v1+json');
  expect(manifest.layers).toEqual([expect.objectContaining({ mediaType: 'application/vnd.mzbuild.nx-cache.v1.tar+gzip' })]);

  const second = clone(repository, 'accept');
  const two = await build(second);
  expect(two.status).toBe(0);
  expect(remoteHit(two.output)).toBe(true);
  expect(readFileSync(second.path('dist/app/out.txt'), 'utf8')).toBe(readFileSync(first.path('dist/app/out.txt'), 'utf8'));
  expect(readFileSync(second.path('dist/app/blob.bin')).equals(readFileSync(first.path('dist/app/blob.bin')))).toBe(true);
});

it('runs every task when the registry is down, and warns once', async () => {
  const repository = uniqueRepository(`127.0.0.1:${await freePort()}`, 'down');
  const run = await build(clone(repository, 'down'));
  expect(run.status).toBe(0);
  expect(run.output).toContain('BUILT');
  expect(run.output.match(/mzimage: warning: cannot (read|store)/g)).toHaveLength(1);
});

describe.each([
  ['500s', () => ({ status: 500, body: 'oops' })],
  ['429s with Retry-After', () => ({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' })],
])('a registry answering %s', (_name, fault) => {
  it('fails no run, stores nothing, and the next healthy run stores the entry', async () => {
    let faulty = true;
    const proxy = await FaultProxy.start(LOOPBACK_REGISTRY, { fault: (req) => (faulty && req.url !== '/v2/' ? fault() : 'pass') });
    proxies.push(proxy);
    const repository = uniqueRepository(proxy.host, 'faults');
    const run = await build(clone(repository, `fault-${_name}`));
    expect(run.status).toBe(0);
    expect(run.output).toContain('BUILT');
    expect(run.output).toContain('mzimage: warning:');
    faulty = false;
    expect(await tags(repository)).toEqual([]);
    expect((await build(clone(repository, `fault-${_name}`))).status).toBe(0);
    expect(await tags(repository)).toHaveLength(1);
    expect(remoteHit((await build(clone(repository, `fault-${_name}`))).output)).toBe(true);
  });
});

it('stores nothing of an upload cut off mid-way, serves nothing corrupt, and stores the entry on the next healthy run', async () => {
  let cut = true;
  const proxy = await FaultProxy.start(LOOPBACK_REGISTRY, {
    reverseLocation: true,
    fault: (req) => (cut && req.method === 'PATCH' ? { cutAfterBytes: 128 << 10 } : 'pass'),
  });
  proxies.push(proxy);
  const repository = uniqueRepository(proxy.host, 'cut');
  const first = clone(repository, 'cut', 1 << 20);
  const run = await build(first);
  expect([run.status, run.status === 0 ? '' : run.output]).toEqual([0, '']); // Nx's output, when it failed
  expect(run.output).toContain('BUILT');
  expect(proxy.requests.some((r) => r.method === 'PATCH')).toBe(true); // the upload went through the proxy, and was cut
  expect(await tags(repository)).toEqual([]);

  cut = false;
  const second = clone(repository, 'cut', 1 << 20);
  const healthy = await build(second);
  expect(healthy.status).toBe(0);
  expect(remoteHit(healthy.output)).toBe(false);
  expect(await tags(repository)).toHaveLength(1);
  const third = clone(repository, 'cut', 1 << 20);
  const hit = await build(third);
  expect(remoteHit(hit.output)).toBe(true);
  expect(readFileSync(third.path('dist/app/blob.bin')).equals(readFileSync(second.path('dist/app/blob.bin')))).toBe(true);
});

it('keeps one entry when two runs write one hash at once, and both succeed', async () => {
  const repository = uniqueRepository(LOOPBACK_REGISTRY, 'writers');
  const [a, b] = await Promise.all([build(clone(repository, 'writers')), build(clone(repository, 'writers'))]);
  expect([a.status, b.status]).toEqual([0, 0]);
  expect(await tags(repository)).toHaveLength(1);
  expect(remoteHit((await build(clone(repository, 'writers'))).output)).toBe(true);
});
