import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { RegistryClient } from '../../packages/core/src/registry/client';
import { digestOf } from '../../packages/core/src/registry/manifests';
import { mzbuildPayload, parsePayload, readPublicKey, readSigningKey, VerifiedCache, writeKeyPair, type PublicKey, type SigningKey } from '../../packages/core/src/signing';
import { publicKeyOf } from '../../packages/core/src/signing/keys';
import { LOOPBACK_REGISTRY, requireLoopbackRegistry } from '../support/registry';
import { pushImage, putManifest, RegistryServer, sha256, uploadBlob, type PushedImage } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const VECTORS = join(__dirname, '../vectors/cosign-signature');
const vector = (name: string) => readFileSync(join(VECTORS, name));

let server: RegistryServer;
/** Every request goes through it, so that the registry's name, which signatures hold, stays one. */
let proxy: TrafficProxy;
let dir: string;
let keyA: SigningKey;
let keyB: SigningKey;
let stranger: SigningKey;
const clients: RegistryClient[] = [];

beforeAll(async () => {
  server = await RegistryServer.start();
  proxy = await TrafficProxy.start(server.host);
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-signatures-'));
  // Key A through cosign's files, as a user would have it; B and the stranger's made in memory.
  await writeKeyPair(dir, 'a password');
  keyA = await readSigningKey({ path: join(dir, 'cosign.key') }, 'a password');
  expect((await readPublicKey({ path: join(dir, 'cosign.pub') })).fingerprint).toBe(keyA.publicKey.fingerprint);
  keyB = memoryKey();
  stranger = memoryKey();
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await proxy?.stop();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function memoryKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, publicKey: publicKeyOf(publicKey) };
}

/** A new client (its own connections, tokens and ping), seeing no docker config of the user's. */
function client(): RegistryClient {
  const made = new RegistryClient({ env: { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env['PATH'] }, retryDelayMs: 5 });
  clients.push(made);
  return made;
}

let repos = 0;
/** A fresh repository with one image under `tag`. */
async function image(tag = 'mzbuild-a'): Promise<{ repo: string; ref: string; pushed: PushedImage }> {
  const repo = `acme/web-${repos++}`;
  const pushed = await pushImage(server.host, repo, tag, { label: repo });
  return { repo, ref: `${proxy.host}/${repo}:${tag}`, pushed };
}

/** The API requests since the last clear, without the ping: `GET manifests/…`, `PUT blobs/uploads/…`. */
function calls(): string[] {
  return proxy.requests.filter((r) => r.path !== '/v2/').map((r) => `${r.method} ${r.path.replace(/^\/v2\/[^]*?\/(manifests|blobs)\//, '$1/')}`);
}

const tagOf = (digest: string) => digest.replace(':', '-') + '.sig';
async function raw(repo: string, path: string): Promise<string> {
  const response = await fetch(`http://${server.host}/v2/${repo}/${path}`, { headers: { accept: OCI_MANIFEST } });
  expect(response.status).toBe(200);
  return response.text();
}
/** A manifest or config with its digests, sizes and signatures made alike, to compare with the vector's shapes. */
const shape = (text: string) =>
  text
    .replace(/sha256:[a-f0-9]{64}/g, 'sha256:D')
    .replace(/"size":\d+/g, '"size":N')
    .replace(/("dev\.cosignproject\.cosign\/signature":)"[A-Za-z0-9+/=]+"/g, '$1"S"');

describe('sign', () => {
  it('uploads the payload and the config, then puts the attachment under sha256-<hex>.sig of the same repository, in containers/image’s shapes', async () => {
    const { repo, ref, pushed } = await image();
    proxy.clear();
    expect(await client().sign(ref, pushed.digest, keyA)).toEqual({ written: true, reference: `${proxy.host}/${repo}:${tagOf(pushed.digest)}` });
    const writes = proxy.writes().map((r) => `${r.method} ${r.path.replace(/uploads\/.+/, 'uploads/…')}`);
    expect(writes.sort()).toEqual([`POST /v2/${repo}/blobs/uploads/`, `POST /v2/${repo}/blobs/uploads/`, `PUT /v2/${repo}/blobs/uploads/…`, `PUT /v2/${repo}/blobs/uploads/…`, `PUT /v2/${repo}/manifests/${tagOf(pushed.digest)}`].sort());
    expect(proxy.writes().find((r) => r.path.includes('/manifests/'))!.contentType).toBe(OCI_MANIFEST);

    const manifestText = await raw(repo, `manifests/${tagOf(pushed.digest)}`);
    expect(shape(manifestText)).toBe(shape(vector('signature-manifest.json').toString()));
    const manifest = JSON.parse(manifestText);
    const config = await raw(repo, `blobs/${manifest.config.digest}`);
    expect(shape(config)).toBe(shape(vector('signature-config.json').toString()));
    expect(JSON.parse(config).rootfs.diff_ids).toEqual([manifest.layers[0].digest]);
    const uploaded = proxy.writes().filter((r) => r.method === 'PUT' && r.path.includes('/blobs/')).map((r) => r.query.get('digest'));
    expect(uploaded.sort()).toEqual([manifest.config.digest, manifest.layers[0].digest].sort());
    // One text per image, with no timestamp, so that a verifier can compute it rather than fetch it.
    const payload = await raw(repo, `blobs/${manifest.layers[0].digest}`);
    expect(payload).toBe(
      `{"critical":{"identity":{"docker-reference":"${proxy.host}/${repo}:mzbuild-a"},"image":{"docker-manifest-digest":"${pushed.digest}"},"type":"cosign container image signature"},"optional":{"creator":"mzbuild"}}`,
    );
    expect(payload).toBe(mzbuildPayload(`${proxy.host}/${repo}:mzbuild-a`, pushed.digest).toString());
  });

  it('writes nothing when the image is signed by the key for the reference already', async () => {
    const { ref, pushed } = await image();
    await client().sign(ref, pushed.digest, keyA);
    proxy.clear();
    expect((await client().sign(ref, pushed.digest, keyA)).written).toBe(false);
    expect(proxy.writes()).toEqual([]);
  });

  it('appends a second key’s signature as a layer, after the first, and each key alone verifies', async () => {
    const { repo, ref, pushed } = await image();
    const c = client();
    await c.sign(ref, pushed.digest, keyA);
    expect((await c.sign(ref, pushed.digest, keyB)).written).toBe(true);
    const manifestText = await raw(repo, `manifests/${tagOf(pushed.digest)}`);
    expect(shape(manifestText)).toBe(shape(vector('two-signatures-manifest.json').toString()));
    const manifest = JSON.parse(manifestText);
    expect(JSON.parse(await raw(repo, `blobs/${manifest.config.digest}`)).rootfs.diff_ids).toEqual(manifest.layers.map((l: { digest: string }) => l.digest));
    const stored = await c.signatures(ref, pushed.digest);
    expect(stored!.layers.map((l) => parsePayload(l.payload!).dockerReference)).toEqual([`${proxy.host}/${repo}:mzbuild-a`, `${proxy.host}/${repo}:mzbuild-a`]);
    for (const key of [keyA, keyB]) expect(await c.verify(ref, pushed.digest, [key.publicKey])).toEqual({ trusted: true, key: key.publicKey.fingerprint, cached: false });
    expect((await c.verify(ref, pushed.digest, [stranger.publicKey])).trusted).toBe(false);
  });

  it('appends to a signature another run put while it was signing, rather than putting its own over it', async () => {
    const { repo, ref, pushed } = await image();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const uploading = new Promise<void>((resolve) => (arrived = resolve));
    // A signs through the proxy, which holds its uploads; B, straight at the registry, signs meanwhile.
    proxy.intercept = (req) => {
      if (req.method !== 'POST') return 'pass';
      arrived();
      return { hold: held };
    };
    const direct = `${server.host}/${repo}:mzbuild-a`;
    try {
      const signingA = client().sign(ref, pushed.digest, keyA); // it reads no attachment, then waits
      await uploading;
      expect((await client().sign(direct, pushed.digest, keyB)).written).toBe(true);
      release();
      expect((await signingA).written).toBe(true);
    } finally {
      proxy.intercept = undefined;
    }
    const c = client();
    expect((await c.verify(ref, pushed.digest, [keyA.publicKey])).trusted).toBe(true);
    expect((await c.verify(direct, pushed.digest, [keyB.publicKey])).trusted).toBe(true);
    const manifest = JSON.parse(await raw(repo, `manifests/${tagOf(pushed.digest)}`));
    expect(manifest.layers).toHaveLength(2);
    expect(JSON.parse(await raw(repo, `blobs/${manifest.config.digest}`)).rootfs.diff_ids).toEqual(manifest.layers.map((l: { digest: string }) => l.digest));
  });

  it('refuses a reference without a tag, an image the repository does not have, and an attachment it cannot append to', async () => {
    const { repo, ref, pushed } = await image();
    const c = client();
    await expect(c.sign(`${proxy.host}/${repo}@${pushed.digest}`, pushed.digest, keyA)).rejects.toThrow(/names the tag it is for/);
    const missing = digestOf(Buffer.from('no such image'));
    await expect(c.sign(ref, missing, keyA)).rejects.toThrow(new RegExp(`has no manifest ${missing}`));
    const docker = await pushImage(server.host, repo, undefined, { label: 'docker-typed' });
    await putManifest(server.host, repo, tagOf(pushed.digest), 'application/vnd.docker.distribution.manifest.v2+json', docker.manifest.replace(OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'), {});
    const error = await c.sign(ref, pushed.digest, keyA).catch((e) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toMatch(/its signature manifest .*\.sig cannot be appended to: it is a application\/vnd\.docker\.distribution\.manifest\.v2\+json, not an OCI image manifest/);
    expect(await c.verify(ref, pushed.digest, [keyA.publicKey])).toEqual({ trusted: false, reason: expect.stringMatching(/^its signature manifest cannot be read: it is a application\/vnd\.docker/) });
  });
});

describe('verify', () => {
  it('asks one GET of the attachment per image signed by mzbuild, for many images at once: the payload is known without asking', async () => {
    const images = await Promise.all([image(), image(), image(), image()]);
    const signer = client();
    for (const { ref, pushed } of images) await signer.sign(ref, pushed.digest, keyA);
    proxy.clear();
    const c = client();
    const results = await Promise.all(images.map(({ ref, pushed }) => c.verify(ref, pushed.digest, [stranger.publicKey, keyA.publicKey])));
    expect(results.map((r) => r.trusted)).toEqual([true, true, true, true]);
    expect(proxy.requests.filter((r) => r.path === '/v2/')).toHaveLength(1);
    expect(calls().sort()).toEqual(images.map(({ pushed }) => `GET manifests/${tagOf(pushed.digest)}`).sort());
  });

  it('reads the payload of a signature another signer made (a timestamp in it, as containers/image writes), and of one the predicted payload does not verify', async () => {
    const { ref, pushed } = await image();
    await client().sign(ref, pushed.digest, keyA, { creator: 'containers/image 5.22.1', timestamp: 1796179475 });
    proxy.clear();
    expect((await client().verify(ref, pushed.digest, [keyA.publicKey])).trusted).toBe(true);
    expect(calls()).toEqual([`GET manifests/${tagOf(pushed.digest)}`, expect.stringMatching(/^GET blobs\/sha256:/)]);

    // A stranger's signature over mzbuild's payload of the image: the digest is the predicted one, the signature is not a trusted key's.
    const other = await image();
    await client().sign(other.ref, other.pushed.digest, stranger);
    proxy.clear();
    expect(await client().verify(other.ref, other.pushed.digest, [keyA.publicKey])).toEqual({ trusted: false, reason: 'none of its signatures is by a trusted key' });
    expect(calls()).toEqual([`GET manifests/${tagOf(other.pushed.digest)}`, expect.stringMatching(/^GET blobs\/sha256:/)]);
  });

  it('does not trust a planted image: unsigned, signed by a stranger, a signed image under another tag, a signature copied from another image', async () => {
    const { repo, ref, pushed } = await image('mzbuild-a');
    const c = client();
    await c.sign(ref, pushed.digest, keyA);
    const trusted = [keyA.publicKey];

    // Another image under the tag: no signature at all, then one by a key that is not trusted.
    const planted = await pushImage(server.host, repo, 'mzbuild-a', { label: 'planted' });
    expect(await c.verify(ref, planted.digest, trusted)).toEqual({ trusted: false, reason: 'it has no signatures' });
    await c.sign(ref, planted.digest, stranger);
    expect(await c.verify(ref, planted.digest, trusted)).toEqual({ trusted: false, reason: 'none of its signatures is by a trusted key' });

    // The signed image under another fingerprint's tag: one .sig serves both tags, and names the first.
    await putManifest(server.host, repo, 'mzbuild-b', pushed.mediaType, pushed.manifest, {});
    const other = `${proxy.host}/${repo}:mzbuild-b`;
    expect(await c.verify(other, pushed.digest, trusted)).toEqual({ trusted: false, reason: `its signature by a trusted key names "${ref}", not ${other}` });
    expect((await c.verify(`${proxy.host}/${repo}@${pushed.digest}`, pushed.digest, trusted)).trusted).toBe(true);
    expect((await c.sign(other, pushed.digest, keyA)).written).toBe(true);
    expect((await c.verify(other, pushed.digest, trusted)).trusted).toBe(true);
    expect((await c.signatures(ref, pushed.digest))!.layers).toHaveLength(2);

    // The good signature's attachment put as the planted image's: its payload names the signed digest.
    const sig = await raw(repo, `manifests/${tagOf(pushed.digest)}`);
    await putManifest(server.host, repo, tagOf(planted.digest), OCI_MANIFEST, sig, {});
    expect(await c.verify(ref, planted.digest, trusted)).toEqual({ trusted: false, reason: `its signature by a trusted key is for another image, ${pushed.digest}` });
  });

  it('remembers verified images in the cache file, and nothing else: a cached image is not asked again, in this run or the next', async () => {
    const { ref, pushed } = await image();
    const unsigned = await image();
    await client().sign(ref, pushed.digest, keyA);
    const file = join(dir, 'cache', 'verified.json');
    const cache = VerifiedCache.open(file);
    const c = client();
    expect((await c.verify(ref, pushed.digest, [keyA.publicKey], { cache })).trusted).toBe(true);
    expect((await c.verify(unsigned.ref, unsigned.pushed.digest, [keyA.publicKey], { cache })).trusted).toBe(false);
    cache.save();

    proxy.clear();
    const next = VerifiedCache.open(file);
    expect(await client().verify(ref, pushed.digest, [keyA.publicKey], { cache: next })).toEqual({ trusted: true, key: keyA.publicKey.fingerprint, cached: true });
    expect(proxy.requests).toEqual([]);
    // Not for another key, nor for another tag of the image, nor for what was not trusted.
    expect((await client().verify(ref, pushed.digest, [keyB.publicKey], { cache: next })).trusted).toBe(false);
    expect((await client().verify(unsigned.ref, unsigned.pushed.digest, [keyA.publicKey], { cache: next })).trusted).toBe(false);
    expect(calls()).toEqual([`GET manifests/${tagOf(pushed.digest)}`, expect.stringMatching(/^GET blobs\//), `GET manifests/${tagOf(unsigned.pushed.digest)}`]);

    rmSync(file);
    proxy.clear();
    const fresh = VerifiedCache.open(file);
    expect(await client().verify(ref, pushed.digest, [keyA.publicKey], { cache: fresh })).toMatchObject({ trusted: true, cached: false });
    expect(calls()).toEqual([`GET manifests/${tagOf(pushed.digest)}`]);
    expect(existsSync(file)).toBe(false);
  });

  it('gives the attachment’s payloads, each checked against its digest; undefined for an image without one', async () => {
    const { ref, pushed } = await image();
    const c = client();
    expect(await c.signatures(ref, pushed.digest)).toBeUndefined();
    await c.sign(ref, pushed.digest, keyA, { creator: 'a test', timestamp: 7 });
    const stored = (await c.signatures(`${ref}@${pushed.digest}`))!;
    expect(stored.manifest.mediaType).toBe(OCI_MANIFEST);
    expect(parsePayload(stored.layers[0]!.payload!)).toEqual({ dockerReference: ref, manifestDigest: pushed.digest, creator: 'a test', timestamp: 7 });
    expect(sha256(stored.layers[0]!.payload!)).toBe(stored.layers[0]!.descriptor.digest);
  });
});

describe('the signature containers/image wrote, in the loopback registry', () => {
  const IMAGE = 'sha256:de9e84e263610b5e99a6d94297c89bc82685b8d65a5e4d6a430d7978d74ad138';
  let cosignPub: PublicKey;

  beforeAll(async () => {
    await requireLoopbackRegistry();
    cosignPub = await readPublicKey({ path: join(VECTORS, 'cosign.pub') });
    // Its objects, put back byte for byte where skopeo put them (the same bytes each run).
    for (const [repo, manifest, blobs] of [
      ['probe-sig/s2', 'signature-manifest.json', ['signature-config.json', 'signature-payload.json']],
      ['probe-sig/a', 'two-signatures-manifest.json', ['two-signatures-config.json', 'two-signatures-payload-0.json', 'two-signatures-payload-1.json']],
    ] as const) {
      for (const blob of blobs) await uploadBlob(LOOPBACK_REGISTRY, repo, vector(blob), {});
      await putManifest(LOOPBACK_REGISTRY, repo, tagOf(IMAGE), OCI_MANIFEST, vector(manifest).toString(), {});
    }
  });

  it('verifies for the references its signatures name, under cosign.pub alone', async () => {
    const c = client();
    expect(await c.verify(`${LOOPBACK_REGISTRY}/probe-sig/s2:signed`, IMAGE, [cosignPub])).toEqual({ trusted: true, key: cosignPub.fingerprint, cached: false });
    expect((await c.verify(`${LOOPBACK_REGISTRY}/probe-sig/a:one`, IMAGE, [cosignPub])).trusted).toBe(true);
    expect((await c.verify(`${LOOPBACK_REGISTRY}/probe-sig/a:signed`, IMAGE, [cosignPub])).trusted).toBe(true);
    expect((await c.verify(`${LOOPBACK_REGISTRY}/probe-sig/s2:other`, IMAGE, [cosignPub])).trusted).toBe(false);
    expect((await c.verify(`${LOOPBACK_REGISTRY}/probe-sig/s2:signed`, IMAGE, [keyA.publicKey])).trusted).toBe(false);
    expect((await c.signatures(`${LOOPBACK_REGISTRY}/probe-sig/a@${IMAGE}`))!.layers.map((l) => l.payload!.toString())).toEqual([
      vector('two-signatures-payload-0.json').toString(),
      vector('two-signatures-payload-1.json').toString(),
    ]);
  });
});
