import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { RegistryClient, type RegistryClientOptions } from '../../packages/core/src/registry/client';
import { MANIFEST_MEDIA_TYPES } from '../../packages/core/src/registry/media-types';
import { freePort, pushImage, RegistryServer, type PushedImage } from '../support/registry-server';
import { FaultProxy, type FaultProxyOptions } from './fault-proxy';

let registry: RegistryServer;
let dir: string;
let web: PushedImage;
const proxies: FaultProxy[] = [];
const clients: RegistryClient[] = [];

beforeAll(async () => {
  registry = await RegistryServer.start();
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-client-'));
  web = await pushImage(registry.host, 'acme/web', 'mzbuild-AAAA');
  await pushImage(registry.host, 'acme/web', 'v1', { label: 'v1' });
  await pushImage(registry.host, 'base', 'mzbuild-BBBB');
});
afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** A client that sees no docker config of the user's, and collects its warnings. */
function client(options: RegistryClientOptions = {}): { client: RegistryClient; warnings: string[] } {
  const warnings: string[] = [];
  const made = new RegistryClient({ env: { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env['PATH'] }, warn: (m) => warnings.push(m), ...options });
  clients.push(made);
  return { client: made, warnings };
}

async function proxy(options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const started = await FaultProxy.start(registry.host, options);
  proxies.push(started);
  return started;
}

it('answers present and absent, by tag and by digest, keyed by the references as given', async () => {
  const { client: c, warnings } = client();
  const r = registry.host;
  const refs = [
    `${r}/acme/web:mzbuild-AAAA`,
    `${r}/acme/web:v1`,
    `${r}/acme/web:mzbuild-ZZZZ`,
    `${r}/acme/web@${web.digest}`,
    `${r}/acme/web:mzbuild-AAAA@${web.digest}`,
    `${r}/acme/web@sha256:${'0'.repeat(64)}`,
    `${r}/base:mzbuild-BBBB`,
    `${r}/nothing/here:1`,
  ];
  expect(Object.fromEntries(await c.checkExistence(refs))).toEqual({
    [refs[0]!]: 'present',
    [refs[1]!]: 'present',
    [refs[2]!]: 'absent',
    [refs[3]!]: 'present',
    [refs[4]!]: 'present',
    [refs[5]!]: 'absent',
    [refs[6]!]: 'present',
    [refs[7]!]: 'absent',
  });
  expect(warnings).toEqual([]);
  expect(await c.checkExistence([])).toEqual(new Map());
});

it('sends HEAD with an Accept header of all four manifest types, and asks once for a repeated reference', async () => {
  const p = await proxy();
  const { client: c } = client();
  const refs = [`${p.host}/acme/web:mzbuild-AAAA`, `${p.host}/acme/web:mzbuild-AAAA`, `${p.host}/acme/web`];
  expect(Object.fromEntries(await c.checkExistence(refs))).toEqual({ [refs[0]!]: 'present', [refs[2]!]: 'absent' });
  expect(p.requests.map((q) => `${q.method} ${q.url}`).sort()).toEqual(
    ['GET /v2/', 'HEAD /v2/acme/web/manifests/latest', 'HEAD /v2/acme/web/manifests/mzbuild-AAAA'],
  );
  for (const { accept } of p.requests.filter((q) => q.method === 'HEAD')) {
    expect(accept?.split(', ').sort()).toEqual([...MANIFEST_MEDIA_TYPES].sort());
  }
});

it('throws a UserError for a malformed reference, before any request', async () => {
  const p = await proxy();
  const { client: c } = client();
  await expect(c.checkExistence([`${p.host}/acme/web:1`, `${p.host}/Acme/Web:1`])).rejects.toThrow(UserError);
  await expect(c.checkExistence([`${p.host}/Acme/Web:1`])).rejects.toThrow(/"127\.0\.0\.1:\d+\/Acme\/Web:1".*must be lower case/);
  expect(p.requests).toEqual([]);
});

it('keeps at most `concurrency` requests in flight, and checks every reference', async () => {
  const p = await proxy({ delayMs: 20 });
  const { client: c } = client({ concurrency: 4 });
  const refs = Array.from({ length: 40 }, (_, i) => `${p.host}/acme/web:mzbuild-${i === 7 ? 'AAAA' : `N${i}`}`);
  const result = await c.checkExistence(refs);
  expect([...result.values()].filter((e) => e === 'present')).toHaveLength(1);
  expect([...result.values()].filter((e) => e === 'absent')).toHaveLength(39);
  expect(p.requests.filter((q) => q.method === 'HEAD')).toHaveLength(40);
  expect(p.maxInFlight).toBe(4);
  // Kept alive (undici closes after a HEAD unless told not to): a connection or two per slot (one
  // may be opened as another is being given back), not one per image.
  expect(p.connections).toBeLessThanOrEqual(8);
});

it('retries 503s with backoff, and gets through', async () => {
  let failures = 0;
  const p = await proxy({ fault: (req) => (req.method === 'HEAD' && failures++ < 2 ? { status: 503 } : 'pass') });
  const { client: c, warnings } = client({ retryDelayMs: 50 });
  const started = Date.now();
  expect(await c.checkExistence([`${p.host}/acme/web:mzbuild-AAAA`])).toEqual(new Map([[`${p.host}/acme/web:mzbuild-AAAA`, 'present']]));
  expect(Date.now() - started).toBeGreaterThanOrEqual(50 + 100);
  expect(p.requests.filter((q) => q.method === 'HEAD')).toHaveLength(3);
  expect(warnings).toEqual([]);
});

it('waits as long as a 429 Retry-After says', async () => {
  let limited = false;
  const p = await proxy({
    fault: (req) => (req.method === 'HEAD' && !limited ? ((limited = true), { status: 429, headers: { 'retry-after': '1' } }) : 'pass'),
  });
  const { client: c } = client({ retryDelayMs: 10 });
  const started = Date.now();
  expect([...(await c.checkExistence([`${p.host}/base:mzbuild-BBBB`])).values()]).toEqual(['present']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(950);
});

it('gives up on 5xx after its retries: unknown, and one warning', async () => {
  const p = await proxy({ fault: (req) => (req.method === 'HEAD' ? { status: 500 } : 'pass') });
  const { client: c, warnings } = client({ retries: 2, retryDelayMs: 5 });
  const result = await c.checkExistence([`${p.host}/acme/web:1`, `${p.host}/acme/web:2`]);
  expect([...result.values()]).toEqual(['unknown', 'unknown']);
  expect(p.requests.filter((q) => q.method === 'HEAD')).toHaveLength(6);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(new RegExp(`^registry ${p.host} answered 500 for ${p.host}/acme/web:[12]; images will be built locally$`));
});

it('times out a registry that does not answer', async () => {
  const p = await proxy({ fault: () => 'hang' });
  const { client: c, warnings } = client({ timeoutMs: 200, retries: 1, retryDelayMs: 5 });
  const started = Date.now();
  const result = await c.checkExistence([`${p.host}/acme/web:1`, `${p.host}/acme/web:2`, `${p.host}/base:3`]);
  expect([...result.values()]).toEqual(['unknown', 'unknown', 'unknown']);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(p.requests).toHaveLength(2); // one ping and its retry: the images are not asked one by one
  expect(warnings).toEqual([`registry ${p.host} did not answer within 0.2 s (tried 2 times); images will be built locally`]);
});

it('answers unknown for every image of a registry nobody listens on, with exactly one warning', async () => {
  const port = await freePort();
  const { client: c, warnings } = client({ retryDelayMs: 5 });
  const refs = Array.from({ length: 50 }, (_, i) => `127.0.0.1:${port}/acme/image-${i}:mzbuild-X`);
  const result = await c.checkExistence([...refs, `${registry.host}/base:mzbuild-BBBB`]);
  expect(refs.map((ref) => result.get(ref))).toEqual(refs.map(() => 'unknown'));
  expect(result.get(`${registry.host}/base:mzbuild-BBBB`)).toBe('present');
  expect(warnings).toEqual([
    `registry 127.0.0.1:${port} could not be reached (connect ECONNREFUSED 127.0.0.1:${port}; tried 4 times); images will be built locally`,
  ]);
  // Once per registry for the client's life, not per batch.
  await c.checkExistence(refs.slice(0, 3));
  expect(warnings).toHaveLength(1);
});

it('asks the registry every time: a tag deleted since the last check is absent', async () => {
  const p = await proxy();
  const { client: c } = client();
  const doomed = await pushImage(registry.host, 'acme/doomed', 'mzbuild-DDDD');
  const reference = `${p.host}/acme/doomed:mzbuild-DDDD`;
  expect((await c.checkExistence([reference])).get(reference)).toBe('present');

  // As a retention policy would: the manifest goes, and with it the tag.
  const deleted = await fetch(`http://${registry.host}/v2/acme/doomed/manifests/${doomed.digest}`, { method: 'DELETE' });
  expect(deleted.status).toBe(202);
  expect((await c.checkExistence([reference])).get(reference)).toBe('absent');
  expect((await client().client.checkExistence([reference])).get(reference)).toBe('absent');
  expect(p.requests.filter((q) => q.method === 'HEAD' && q.url === '/v2/acme/doomed/manifests/mzbuild-DDDD')).toHaveLength(3);
});

it('gives present images their digest from the HEAD itself, with no further request', async () => {
  const p = await proxy();
  const { client: c } = client();
  const refs = [`${p.host}/acme/web:mzbuild-AAAA`, `${p.host}/acme/web:mzbuild-ZZZZ`];
  expect(Object.fromEntries(await c.checkPresence(refs))).toEqual({
    [refs[0]!]: { existence: 'present', digest: web.digest },
    [refs[1]!]: { existence: 'absent' },
  });
  expect(p.requests.filter((q) => q.url.includes('/manifests/')).map((q) => q.method)).toEqual(['HEAD', 'HEAD']);
});
