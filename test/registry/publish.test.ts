import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { RegistryClient, type RegistryClientOptions } from '../../packages/core/src/registry/client';
import { OperationError, RegistryError, RegistryNetworkError } from '../../packages/core/src/registry/errors';
import { MANIFEST_MEDIA_TYPES } from '../../packages/core/src/registry/media-types';
import { freePort, pushImage, pushIndex, RegistryServer, type PushedImage, type PushedIndex } from '../support/registry-server';
import { TrafficProxy, type TrafficProxyOptions } from '../support/traffic-proxy';

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

let one: RegistryServer;
let two: RegistryServer;
let dir: string;
let v1: PushedImage;
let v2: PushedImage;
let big: PushedImage;
let multi: PushedIndex;
let multiImages: PushedImage[];
const proxies: TrafficProxy[] = [];
const clients: RegistryClient[] = [];

beforeAll(async () => {
  [one, two] = await Promise.all([RegistryServer.start(), RegistryServer.start()]);
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-publish-'));
  v1 = await pushImage(one.host, 'acme/web', 'v1', { label: 'v1' });
  v2 = await pushImage(one.host, 'acme/web', 'v2', { label: 'v2' });
  big = await pushImage(one.host, 'acme/big', 'v1', { layer: randomBytes(3 << 20) });
  multiImages = [
    await pushImage(one.host, 'acme/multi', undefined, { label: 'multi-amd64', architecture: 'amd64' }),
    await pushImage(one.host, 'acme/multi', undefined, { label: 'multi-arm64', architecture: 'arm64' }),
  ];
  multi = await pushIndex(
    one.host,
    'acme/multi',
    '1',
    [
      { platform: { os: 'linux', architecture: 'amd64' }, image: multiImages[0]! },
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, image: multiImages[1]! },
    ],
    { attestations: true },
  );
});
afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

/** A client that sees no docker config of the user's. */
function client(options: RegistryClientOptions = {}): RegistryClient {
  const made = new RegistryClient({ env: { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env['PATH'] }, retryDelayMs: 5, ...options });
  clients.push(made);
  return made;
}

async function proxy(target: RegistryServer, options: TrafficProxyOptions = {}): Promise<TrafficProxy> {
  const started = await TrafficProxy.start(target.host, options);
  proxies.push(started);
  return started;
}

/** A fresh repository name, so that tests do not see each other's copies. */
let repos = 0;
const fresh = (name: string) => `${name}-${repos++}`;

const json = (bytes: Buffer) => JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;

describe('getManifest', () => {
  it('gives the exact bytes, their digest and media type, by tag and by digest, with all four types accepted', async () => {
    const p = await proxy(one);
    const c = client();
    const byTag = await c.getManifest(`${p.host}/acme/web:v1`);
    expect(byTag).toEqual({ mediaType: OCI_MANIFEST, digest: v1.digest, bytes: Buffer.from(v1.manifest) });
    expect(await c.getManifest(`${p.host}/acme/web@${v1.digest}`)).toEqual(byTag);
    const index = await c.getManifest(`${p.host}/acme/multi:1`);
    expect(index?.mediaType).toBe(OCI_INDEX);
    expect(index?.digest).toBe(multi.digest);
    expect(index?.bytes.toString('utf8')).toBe(multi.manifest);
    for (const { accept } of p.requests.filter((r) => r.path.includes('/manifests/'))) {
      expect(accept?.split(', ').sort()).toEqual([...MANIFEST_MEDIA_TYPES].sort());
    }
  });

  it('answers undefined for a tag, a digest or a repository the registry does not have', async () => {
    const c = client();
    expect(await c.getManifest(`${one.host}/acme/web:nope`)).toBeUndefined();
    expect(await c.getManifest(`${one.host}/acme/web@sha256:${'0'.repeat(64)}`)).toBeUndefined();
    expect(await c.getManifest(`${one.host}/no/such/repo:1`)).toBeUndefined();
  });

  it('fails, after retries, on a registry that keeps answering 500, and on bytes that do not match their digest', async () => {
    const failing = await proxy(one, { intercept: (r) => (r.path.includes('/manifests/') ? { status: 500 } : 'pass') });
    const c = client({ retries: 2 });
    await expect(c.getManifest(`${failing.host}/acme/web:v1`)).rejects.toThrow(UserError);
    await expect(c.getManifest(`${failing.host}/acme/web:v1`)).rejects.toThrow(
      `registry ${failing.host} answered 500 to GET /v2/acme/web/manifests/v1`,
    );
    expect(failing.requests.filter((r) => r.path.includes('/manifests/'))).toHaveLength(6);

    const forged = await proxy(one, {
      intercept: (r) =>
        r.path.includes('/manifests/')
          ? { status: 200, headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': v2.digest }, body: v1.manifest }
          : 'pass',
    });
    await expect(c.getManifest(`${forged.host}/acme/web:v1`)).rejects.toThrow(/do not match its Docker-Content-Digest/);
    await expect(c.getManifest(`${forged.host}/acme/web@${v2.digest}`)).rejects.toThrow(/do not match/);
  });
});

describe('tagExists', () => {
  it('says true or false, and fails when the registry cannot be asked', async () => {
    const c = client({ retries: 1 });
    expect(await c.tagExists(`${one.host}/acme/web:v1`)).toBe(true);
    expect(await c.tagExists(`${one.host}/acme/web@${v2.digest}`)).toBe(true);
    expect(await c.tagExists(`${one.host}/acme/web:v9`)).toBe(false);
    expect(await c.tagExists(`${one.host}/nothing/here:v1`)).toBe(false);
    const failing = await proxy(one, { intercept: (r) => (r.method === 'HEAD' ? { status: 503 } : 'pass') });
    await expect(c.tagExists(`${failing.host}/acme/web:v1`)).rejects.toThrow(`registry ${failing.host} answered 503 to HEAD /v2/acme/web/manifests/v1`);
  });
});

describe('putManifest', () => {
  it('moves a tag with exactly one manifest PUT of the same bytes, and nothing else written or read', async () => {
    const p = await proxy(one);
    const c = client();
    const manifest = (await c.getManifest(`${p.host}/acme/web:v1`))!;
    p.clear();
    expect(await c.putManifest(`${p.host}/acme/web:stable`, manifest)).toBe(v1.digest);
    expect(p.writes().map((r) => `${r.method} ${r.url} ${r.contentType} ${r.bodyDigest} ${r.status}`)).toEqual([
      `PUT /v2/acme/web/manifests/stable ${OCI_MANIFEST} ${v1.digest} 201`,
    ]);
    expect(p.requests.filter((r) => r.path.includes('/blobs/'))).toEqual([]);
    expect((await c.getManifest(`${p.host}/acme/web:stable`))?.digest).toBe(v1.digest);

    // Moved on to v2.
    const next = (await c.getManifest(`${p.host}/acme/web:v2`))!;
    p.clear();
    expect(await c.putManifest(`${p.host}/acme/web:stable`, next)).toBe(v2.digest);
    expect(p.writes()).toHaveLength(1);
    expect((await c.getManifest(`${p.host}/acme/web:stable`))?.bytes.equals(Buffer.from(v2.manifest))).toBe(true);
  });

  it('puts by digest only the bytes of that digest, and says what the registry refuses', async () => {
    const p = await proxy(one);
    const c = client();
    const manifest = (await c.getManifest(`${p.host}/acme/web:v1`))!;
    expect(await c.putManifest(`${p.host}/acme/web@${v1.digest}`, manifest)).toBe(v1.digest);
    p.clear();
    await expect(c.putManifest(`${p.host}/acme/web@${v2.digest}`, manifest)).rejects.toThrow(/its bytes have the digest/);
    expect(p.requests).toEqual([]);
    // A manifest whose blobs are not in the repository.
    await expect(c.putManifest(`${p.host}/${fresh('empty')}:1`, manifest)).rejects.toThrow(
      /answered 400 to PUT \/v2\/empty-\d+\/manifests\/1 \(MANIFEST_BLOB_UNKNOWN/,
    );
  });
});

describe('copyImage', () => {
  it('mounts blobs across repositories of one registry, never reading a layer, and puts the tag last', async () => {
    const p = await proxy(one);
    const c = client();
    const repo = fresh('mirror/web');
    const to = `${p.host}/${repo}:v1`;
    await c.copyImage(`${p.host}/acme/web:v1`, to);
    const writes = p.writes();
    const mounts = writes.filter((r) => r.method === 'POST');
    expect(mounts.map((r) => [r.query.get('mount'), r.query.get('from'), r.status]).sort()).toEqual(
      [[v1.config.digest, 'acme/web', 201], [v1.layers[0]!.digest, 'acme/web', 201]].sort(),
    );
    expect(p.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))).toEqual([]);
    expect(writes.map((r) => r.method)).toEqual(['POST', 'POST', 'PUT']);
    expect(writes[2]!.path).toMatch(/\/manifests\/v1$/);
    expect(writes[2]!.bodyDigest).toBe(v1.digest);
    expect((await c.getManifest(to))?.bytes.toString('utf8')).toBe(v1.manifest);

    // Again: the destination has it, and nothing is written.
    p.clear();
    await c.copyImage(`${p.host}/acme/web:v1`, to);
    expect(p.writes()).toEqual([]);
    expect(p.log()).toEqual(['GET /v2/acme/web/manifests/v1', `HEAD /v2/${repo}/manifests/v1`]);
  });

  it('copies an index with its images and attestations, children by digest before the tag', async () => {
    const p = await proxy(one);
    const c = client();
    const repo = fresh('mirror/multi');
    await c.copyImage(`${p.host}/acme/multi:1`, `${p.host}/${repo}:1`);
    const puts = p.writes().filter((r) => r.method === 'PUT');
    const children = [...multiImages, ...multi.attestations].map((m) => m.digest);
    expect(puts.slice(0, -1).map((r) => r.path.split('/').pop()).sort()).toEqual([...children].sort());
    expect(puts.at(-1)!.path).toBe(`/v2/${repo}/manifests/1`);
    expect(puts.at(-1)!.bodyDigest).toBe(multi.digest);
    expect(p.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))).toEqual([]);
    expect((await c.getManifest(`${p.host}/${repo}:1`))?.bytes.toString('utf8')).toBe(multi.manifest);
    for (const digest of children) expect(await c.tagExists(`${p.host}/${repo}@${digest}`)).toBe(true);
  });

  it('streams blobs between two registries, and writes nothing the second time', async () => {
    const from = await proxy(one);
    const to = await proxy(two);
    const c = client();
    const target = `${to.host}/${fresh('acme/big')}:v1`;
    await c.copyImage(`${from.host}/acme/big:v1`, target);
    expect(from.writes()).toEqual([]);
    expect(from.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/')).map((r) => r.path.split('/').pop()).sort()).toEqual(
      [big.config.digest, big.layers[0]!.digest].sort(),
    );
    const uploads = to.writes().filter((r) => r.path.includes('/blobs/uploads/'));
    expect(uploads.filter((r) => r.method === 'POST').map((r) => [r.query.get('mount'), r.status])).toEqual([[null, 202], [null, 202]]);
    const puts = uploads.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => [r.query.get('digest'), r.bodyDigest, r.bodyLength, r.status]).sort()).toEqual(
      [[big.config.digest, big.config.digest, big.config.size, 201], [big.layers[0]!.digest, big.layers[0]!.digest, 3 << 20, 201]].sort(),
    );
    expect(to.writes().at(-1)!.path).toMatch(/\/manifests\/v1$/);
    expect((await c.getManifest(target))?.digest).toBe(big.digest);

    from.clear();
    to.clear();
    await c.copyImage(`${from.host}/acme/big:v1`, target);
    expect(to.writes()).toEqual([]);
    expect(from.requests.filter((r) => r.path.includes('/blobs/'))).toEqual([]);
  });

  it('falls back to a copy when the registry opens an upload (202) instead of mounting', async () => {
    // The proxy strips ?mount=…&from=…, as a registry that does not mount would ignore them.
    const p = await proxy(one, {
      intercept: (r) => (r.method === 'POST' && r.query.has('mount') ? { rewrite: r.path } : 'pass'),
    });
    const c = client();
    const to = `${p.host}/${fresh('mirror/web')}:v2`;
    await c.copyImage(`${p.host}/acme/web:v2`, to);
    const posts = p.writes().filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.query.has('mount'), r.status])).toEqual([[true, 202], [true, 202]]);
    expect(p.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/'))).toHaveLength(2);
    expect(p.writes().filter((r) => r.method === 'PUT' && r.query.has('digest'))).toHaveLength(2);
    expect((await c.getManifest(to))?.digest).toBe(v2.digest);
  });

  it('leaves no tag when a blob upload breaks off, and the next copy completes it', async () => {
    let drop = true;
    const to = await proxy(two, { intercept: (r) => (drop && r.method === 'PUT' && r.path.includes('/blobs/uploads/') ? 'drop' : 'pass') });
    const c = client({ retries: 1 });
    const target = `${to.host}/${fresh('acme/web')}:v1`;
    const error = await c.copyImage(`${one.host}/acme/web:v1`, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot copy ${one.host}/acme/web:v1 to ${target}: registry ${to.host} .*blob sha256:`));
    expect(to.requests.filter((r) => r.dropped).length).toBeGreaterThanOrEqual(2); // retried
    expect(to.writes().filter((r) => r.path.includes('/manifests/'))).toEqual([]);
    expect(await c.tagExists(target)).toBe(false);

    drop = false;
    await c.copyImage(`${one.host}/acme/web:v1`, target);
    expect(await c.tagExists(target)).toBe(true);
    expect((await c.getManifest(target))?.digest).toBe(v1.digest);
  });

  it('leaves no tag when the first manifest PUT breaks off, and the next copy completes it', async () => {
    let drop = true;
    const to = await proxy(two, { intercept: (r) => (drop && r.method === 'PUT' && r.path.includes('/manifests/') ? 'drop' : 'pass') });
    const c = client({ retries: 1 });
    const target = `${to.host}/${fresh('acme/multi')}:1`;
    const error = await c.copyImage(`${one.host}/acme/multi:1`, target).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/registry 127\.0\.0\.1:\d+ could not be reached \(.*\), for PUT \/v2\/acme\/multi-\d+\/manifests\/sha256:/);
    const manifestPuts = to.requests.filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'));
    expect(manifestPuts.length).toBeGreaterThanOrEqual(2);
    expect(manifestPuts.every((r) => r.dropped && /\/manifests\/sha256:/.test(r.path))).toBe(true);
    expect(await c.tagExists(target)).toBe(false);

    drop = false;
    to.clear();
    await c.copyImage(`${one.host}/acme/multi:1`, target);
    expect((await c.getManifest(target))?.digest).toBe(multi.digest);
    // The blobs came the first time: the second copy only puts manifests.
    expect(to.writes().filter((r) => r.path.includes('/blobs/'))).toEqual([]);
  });

  it('fails with a UserError naming a source that does not exist, and writes nothing', async () => {
    const p = await proxy(one);
    const c = client();
    await expect(c.copyImage(`${p.host}/acme/web:nope`, `${p.host}/mirror/web:nope`)).rejects.toThrow(
      `cannot copy ${p.host}/acme/web:nope to ${p.host}/mirror/web:nope: ${p.host}/acme/web:nope does not exist`,
    );
    expect(p.writes()).toEqual([]);
    // Malformed references reject too (they do not throw synchronously), before any request.
    p.clear();
    await expect(c.copyImage(`${p.host}/Acme/Web:1`, `${p.host}/mirror/web:1`)).rejects.toThrow(/must be lower case/);
    await expect(c.getManifest(`${p.host}/acme/web:bad tag`)).rejects.toThrow(UserError);
    await expect(c.createIndex(`${p.host}/acme/web:1`, [])).rejects.toThrow(/needs at least one image/);
    expect(p.requests).toEqual([]);
  });
});

describe('createIndex', () => {
  let amd64: PushedImage;
  let arm64: PushedImage;
  beforeAll(async () => {
    amd64 = await pushImage(one.host, 'acme/app', 'amd64', { architecture: 'amd64' });
    arm64 = await pushImage(one.host, 'acme/app', 'arm64', { architecture: 'arm64' });
  });

  const entries = (bytes: Buffer) => json(bytes)['manifests'];

  it('lists amd64 and arm64 images with their digests, sizes and platforms; the same index is not put twice', async () => {
    const p = await proxy(one);
    const c = client();
    const sources = [
      { platform: { os: 'linux', architecture: 'amd64' }, reference: `${p.host}/acme/app:amd64` },
      { platform: { os: 'linux', architecture: 'arm64' }, reference: `${p.host}/acme/app:arm64` },
    ];
    const digest = await c.createIndex(`${p.host}/acme/app:v1`, sources);
    const index = (await c.getManifest(`${p.host}/acme/app:v1`))!;
    expect(index.digest).toBe(digest);
    expect(index.mediaType).toBe(OCI_INDEX);
    expect(json(index.bytes)['schemaVersion']).toBe(2);
    expect(entries(index.bytes)).toEqual([
      { mediaType: OCI_MANIFEST, digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: OCI_MANIFEST, digest: arm64.digest, size: arm64.size, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    // Same repository: nothing to copy, one PUT.
    expect(p.writes().map((r) => `${r.method} ${r.path}`)).toEqual(['PUT /v2/acme/app/manifests/v1']);

    p.clear();
    expect(await c.createIndex(`${p.host}/acme/app:v1`, sources)).toBe(digest);
    expect(p.writes()).toEqual([]);
  });

  it('takes the platform image of a source that is itself an index, leaving attestations out', async () => {
    const c = client();
    const digest = await c.createIndex(`${one.host}/acme/multi:picked`, [
      { platform: { os: 'linux', architecture: 'arm64' }, reference: `${one.host}/acme/multi:1` },
      { platform: { os: 'linux', architecture: 'amd64' }, reference: `${one.host}/acme/multi:1` },
    ]);
    const index = (await c.getManifest(`${one.host}/acme/multi:picked`))!;
    expect(index.digest).toBe(digest);
    expect(entries(index.bytes)).toEqual([
      { mediaType: OCI_MANIFEST, digest: multiImages[1]!.digest, size: multiImages[1]!.size, platform: { architecture: 'arm64', os: 'linux' } },
      { mediaType: OCI_MANIFEST, digest: multiImages[0]!.digest, size: multiImages[0]!.size, platform: { architecture: 'amd64', os: 'linux' } },
    ]);
  });

  it('copies images from other repositories and registries into the target repository first', async () => {
    const source = await proxy(one);
    const target = await proxy(two);
    const c = client();
    const repo = fresh('acme/app');
    const digest = await c.createIndex(`${target.host}/${repo}:v1`, [
      { platform: { os: 'linux', architecture: 'amd64' }, reference: `${source.host}/acme/app:amd64` },
      { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }, reference: `${source.host}/acme/multi:1` },
    ]);
    const index = (await c.getManifest(`${target.host}/${repo}:v1`))!;
    expect(index.digest).toBe(digest);
    expect(entries(index.bytes)).toEqual([
      { mediaType: OCI_MANIFEST, digest: amd64.digest, size: amd64.size, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: OCI_MANIFEST, digest: multiImages[1]!.digest, size: multiImages[1]!.size, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } },
    ]);
    const puts = target.writes().filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'));
    expect(puts.map((r) => r.path.split('/').pop())).toEqual([expect.stringMatching(/^sha256:/), expect.stringMatching(/^sha256:/), 'v1']);
    for (const image of [amd64, multiImages[1]!]) expect(await c.tagExists(`${two.host}/${repo}@${image.digest}`)).toBe(true);
    // Attestations are not copied.
    expect(await c.tagExists(`${two.host}/${repo}@${multi.attestations[1]!.digest}`)).toBe(false);
  });

  it('mounts the images of another repository of the same registry', async () => {
    const p = await proxy(one);
    const c = client();
    const repo = fresh('acme/app');
    await c.createIndex(`${p.host}/${repo}:v1`, [
      { platform: { os: 'linux', architecture: 'amd64' }, reference: `${p.host}/acme/app:amd64` },
      { platform: { os: 'linux', architecture: 'arm64' }, reference: `${p.host}/acme/app:arm64` },
    ]);
    expect(p.writes().filter((r) => r.method === 'POST').every((r) => r.query.has('mount') && r.status === 201)).toBe(true);
    expect(p.requests.filter((r) => r.method === 'GET' && r.path.includes('/blobs/') && r.path.includes(repo))).toEqual([]);
  });

  it('writes nothing when an architecture is missing, and names it', async () => {
    const p = await proxy(one);
    const c = client();
    const repo = fresh('acme/app');
    const error = await c
      .createIndex(`${p.host}/${repo}:v1`, [
        { platform: { os: 'linux', architecture: 'amd64' }, reference: `${p.host}/acme/app:amd64` },
        { platform: { os: 'linux', architecture: 'arm64' }, reference: `${p.host}/acme/app:arm64-missing` },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(
      `cannot create the index ${p.host}/${repo}:v1: the linux/arm64 image ${p.host}/acme/app:arm64-missing does not exist`,
    );
    expect(p.writes()).toEqual([]);
    expect(await c.getManifest(`${p.host}/${repo}:v1`)).toBeUndefined();
  });

  it('refuses an index without the platform, an image built for another, and a platform given twice', async () => {
    const p = await proxy(one);
    const c = client();
    await expect(
      c.createIndex(`${p.host}/acme/app:bad`, [{ platform: { os: 'linux', architecture: 's390x' }, reference: `${p.host}/acme/multi:1` }]),
    ).rejects.toThrow(/has no linux\/s390x image \(it has linux\/amd64, linux\/arm64\/v8\)/);
    await expect(
      c.createIndex(`${p.host}/acme/app:bad`, [{ platform: { os: 'linux', architecture: 'arm64' }, reference: `${p.host}/acme/app:amd64` }]),
    ).rejects.toThrow(`${p.host}/acme/app:amd64 is given for linux/arm64, but it is a linux/amd64 image`);
    await expect(
      c.createIndex(`${p.host}/acme/app:bad`, [
        { platform: { os: 'linux', architecture: 'amd64' }, reference: `${p.host}/acme/app:amd64` },
        { platform: { os: 'linux', architecture: 'amd64' }, reference: `${p.host}/acme/app:arm64` },
      ]),
    ).rejects.toThrow(/linux\/amd64 is given twice/);
    expect(p.writes()).toEqual([]);
  });
});

// Failures carry what went wrong as fields, for callers that tell them apart.
describe('errors', () => {
  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (error: unknown) => error,
    );

  it('give the status, the error codes and the request of a refused manifest', async () => {
    const c = client();
    const manifest = (await c.getManifest(`${one.host}/acme/web:v1`))!;
    const repo = fresh('empty');
    const error = await rejection(c.putManifest(`${one.host}/${repo}:1`, manifest));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({
      registry: one.host,
      status: 400,
      codes: expect.arrayContaining(['MANIFEST_BLOB_UNKNOWN']),
      request: { method: 'PUT', path: `/v2/${repo}/manifests/1` },
    });
    expect((error as RegistryError).message).toBe(`registry ${one.host} ${(error as RegistryError).reason}`);
  });

  it('give the status of a refusal', async () => {
    const p = await proxy(one, { intercept: (r) => (r.path.includes('/manifests/') ? { status: 401 } : 'pass') });
    const error = await rejection(client().getManifest(`${p.host}/acme/web:v1`));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ status: 401, request: { method: 'GET', path: '/v2/acme/web/manifests/v1' } });
    expect((error as Error).message).toMatch(/refused pull access to acme\/web \(401 to GET/);
  });

  it('tell a request that got no answer from a registry that got none', async () => {
    // The ping finds nobody: a RegistryError about the registry, naming no request.
    const ping = await rejection(client({ retries: 1 }).getManifest(`127.0.0.1:${await freePort()}/acme/web:v1`));
    expect(ping).toBeInstanceOf(RegistryError);
    expect(ping).not.toBeInstanceOf(RegistryNetworkError);
    expect(ping).toMatchObject({ request: undefined, status: undefined, reason: expect.stringMatching(/^could not be reached/) });

    // A request of the API that gets no answer once the registry has answered its ping.
    const p = await proxy(one, { intercept: (r) => (r.path.includes('/manifests/') ? 'drop' : 'pass') });
    const dropped = await rejection(client({ retries: 1 }).tagExists(`${p.host}/acme/web:v1`));
    expect(dropped).toBeInstanceOf(RegistryNetworkError);
    expect(dropped).toMatchObject({ status: undefined, request: { method: 'HEAD', path: '/v2/acme/web/manifests/v1' } });
    const { failure, message } = dropped as RegistryNetworkError;
    expect(message).toBe(`registry ${p.host} ${failure}, for HEAD /v2/acme/web/manifests/v1`);
  });

  it('keep the registry failure behind a failed copy', async () => {
    const c = client();
    const missing = await rejection(c.copyImage(`${one.host}/acme/web:nope`, `${one.host}/mirror/web:nope`));
    expect(missing).toBeInstanceOf(OperationError);
    expect((missing as OperationError).operation).toBe(`copy ${one.host}/acme/web:nope to ${one.host}/mirror/web:nope`);
    expect((missing as OperationError).cause).toBeUndefined();

    const p = await proxy(two, { intercept: (r) => (r.method === 'PUT' && r.path.includes('/manifests/') ? { status: 503 } : 'pass') });
    const repo = fresh('mirror/web');
    const refused = await rejection(c.copyImage(`${one.host}/acme/web:v1`, `${p.host}/${repo}:v1`));
    expect(refused).toBeInstanceOf(OperationError);
    expect((refused as Error).message).toMatch(new RegExp(`^cannot copy .*: registry ${p.host} answered 503 to PUT /v2/${repo}/manifests/v1$`));
    expect((refused as OperationError).cause).toBeInstanceOf(RegistryError);
    expect((refused as OperationError).cause).toMatchObject({ status: 503, request: { method: 'PUT', path: `/v2/${repo}/manifests/v1` } });
  });
});
