// A registry over HTTPS with a private CA, reached as docker reaches it: trusted through its certs.d directory (CA roots, a client certificate), and through the proxy of the environment.
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { CertificatesError, registryTls } from '../../packages/core/src/registry/certs';
import { RegistryClient } from '../../packages/core/src/registry/client';
import { publicKeyOf } from '../../packages/core/src/signing/keys';
import { pushImage, RegistryServer, type PushedImage } from '../support/registry-server';
import { ConnectProxy } from '../support/connect-proxy';
import { makeCertificates, nonLoopbackAddress, type TestCertificates } from '../support/tls';

let dir: string;
let certs: TestCertificates;
let plain: RegistryServer;
let https: RegistryServer;
let mtls: RegistryServer;
let pushed: PushedImage;
const clients: RegistryClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-tls-'));
  const address = nonLoopbackAddress();
  certs = makeCertificates(dir, address);
  const tls = { address, certificate: certs.serverCert, key: certs.serverKey, ca: certs.ca };
  [plain, https, mtls] = await Promise.all([RegistryServer.start(), RegistryServer.start({ tls }), RegistryServer.start({ tls: { ...tls, clientCa: certs.ca } })]);
  pushed = await pushImage(plain.host, 'acme/web', 'mzbuild-a');
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all([plain, https, mtls].map((r) => r?.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** A certs directory holding, for `registry`, the given files (name → source path). */
function certsDir(registry: string, files: Record<string, string>): string {
  const root = mkdtempSync(join(dir, 'certs.d-'));
  mkdirSync(join(root, registry));
  for (const [name, source] of Object.entries(files)) copyFileSync(source, join(root, registry, name));
  return root;
}

/** A client that sees no docker config of the user's, with the certificates of `certsRoot` and `env` besides (proxies). */
function client(certsRoot: string, env: Record<string, string> = {}): { client: RegistryClient; warnings: string[] } {
  const warnings: string[] = [];
  const made = new RegistryClient({ env: { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env['PATH'], MZBUILD_CERTS_DIR: certsRoot, ...env }, warn: (m) => warnings.push(m), retries: 0 });
  clients.push(made);
  return { client: made, warnings };
}

it('trusts a registry whose CA is in its certs.d directory, for checks, copies and signatures; without it, says where to put the CA', async () => {
  const ref = `${https.host}/acme/web:mzbuild-a`;
  const untrusting = client(mkdtempSync(join(dir, 'empty-')));
  expect(await untrusting.client.checkExistence([ref])).toEqual(new Map([[ref, 'unknown']]));
  expect(untrusting.warnings).toHaveLength(1);
  expect(untrusting.warnings[0]).toMatch(new RegExp(`^registry ${https.host} could not be reached \\(.*certificate.*put the CA that issued it in .*/${https.host}/ca\\.crt`));

  const { client: c, warnings } = client(certsDir(https.host, { 'ca.crt': certs.ca }));
  await c.copyImage(`${plain.host}/acme/web:mzbuild-a`, ref);
  expect(await c.checkPresence([ref])).toEqual(new Map([[ref, { existence: 'present', digest: pushed.digest }]]));
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key = { privateKey, publicKey: publicKeyOf(publicKey) };
  expect((await c.sign(ref, pushed.digest, key)).written).toBe(true);
  expect((await c.verify(ref, pushed.digest, [key.publicKey])).trusted).toBe(true);
  expect(warnings).toEqual([]);
});

it('presents the client certificate of the directory to a registry that asks for one', async () => {
  const ref = `${mtls.host}/acme/web:mzbuild-a`;
  const anonymous = client(certsDir(mtls.host, { 'ca.crt': certs.ca }));
  expect(await anonymous.client.checkExistence([ref])).toEqual(new Map([[ref, 'unknown']]));
  expect(anonymous.warnings).toHaveLength(1);

  const { client: c, warnings } = client(certsDir(mtls.host, { 'ca.crt': certs.ca, 'client.cert': certs.clientCert, 'client.key': certs.clientKey }));
  await c.copyImage(`${plain.host}/acme/web:mzbuild-a`, ref);
  expect(await c.checkExistence([ref])).toEqual(new Map([[ref, 'present']]));
  expect(warnings).toEqual([]);
});

it('fails, naming the file, on a client certificate without its key or a key without its certificate, rather than taking the registry for unreachable', async () => {
  const noKey = certsDir(https.host, { 'ca.crt': certs.ca, 'client.cert': certs.clientCert });
  const error = await client(noKey).client.checkExistence([`${https.host}/acme/web:mzbuild-a`]).catch((e) => e);
  expect(error).toBeInstanceOf(UserError);
  expect(error.message).toBe(`${join(noKey, https.host, 'client.cert')} is a client certificate without its key: put it in ${join(noKey, https.host, 'client.key')}`);
  const noCert = certsDir(https.host, { 'client.key': certs.clientKey });
  expect(() => registryTls(https.host, { MZBUILD_CERTS_DIR: noCert })).toThrow(CertificatesError);
  expect(() => registryTls(https.host, { MZBUILD_CERTS_DIR: noCert })).toThrow(/client\.key is a client key without its certificate: put it in .*client\.cert$/);
});

it('reads Docker’s directories when MZBUILD_CERTS_DIR is not set, and gives nothing for a registry that has no directory', () => {
  const home = mkdtempSync(join(dir, 'home-'));
  mkdirSync(join(home, '.config/docker/certs.d/registry.example:5000'), { recursive: true });
  writeFileSync(join(home, '.config/docker/certs.d/registry.example:5000/ca.crt'), 'not read until used\n');
  const tls = registryTls('registry.example:5000', { HOME: home });
  expect(tls?.ca?.at(-1)).toBe('not read until used\n');
  expect(tls?.ca?.length).toBeGreaterThan(100); // Node's own roots kept
  expect(registryTls('other.example', { HOME: home })).toBeUndefined();
});

describe('through an HTTP proxy of the environment, as curl, skopeo and crane go', () => {
  let proxy: ConnectProxy;
  let guarded: ConnectProxy;
  beforeAll(async () => {
    [proxy, guarded] = await Promise.all([ConnectProxy.start(), ConnectProxy.start('corp:s3cr3t-proxy')]);
  });
  afterAll(async () => {
    await Promise.all([proxy?.stop(), guarded?.stop()]);
  });

  const proxiedClient = (env: Record<string, string>) => client(certsDir(https.host, { 'ca.crt': certs.ca }), env);

  it('reaches an HTTPS registry through HTTPS_PROXY, with the registry’s own CA through the tunnel; NO_PROXY and loopback registries go direct', async () => {
    const ref = `${https.host}/acme/web:mzbuild-a`;
    await client(certsDir(https.host, { 'ca.crt': certs.ca })).client.copyImage(`${plain.host}/acme/web:mzbuild-a`, ref);
    const { client: c, warnings } = proxiedClient({ HTTPS_PROXY: proxy.url(), HTTP_PROXY: proxy.url() });
    expect(await c.checkExistence([ref, `${plain.host}/acme/web:mzbuild-a`])).toEqual(new Map([[ref, 'present'], [`${plain.host}/acme/web:mzbuild-a`, 'present']]));
    expect(warnings).toEqual([]);
    expect(new Set(proxy.tunnels)).toEqual(new Set([https.host]));

    proxy.tunnels.length = 0;
    const direct = proxiedClient({ https_proxy: proxy.url(), no_proxy: https.host.split(':')[0]! });
    expect(await direct.client.checkExistence([ref])).toEqual(new Map([[ref, 'present']]));
    expect(proxy.tunnels).toEqual([]);
  });

  it('sends the proxy’s credentials from its URL, and no message shows them when the proxy refuses', async () => {
    const ref = `${https.host}/acme/web:mzbuild-a`;
    const allowed = proxiedClient({ HTTPS_PROXY: guarded.url('corp:s3cr3t-proxy') });
    expect(await allowed.client.checkExistence([ref])).toEqual(new Map([[ref, 'present']]));
    const refused = proxiedClient({ HTTPS_PROXY: guarded.url('corp:wrong-s3cr3t') });
    expect(await refused.client.checkExistence([ref])).toEqual(new Map([[ref, 'unknown']]));
    expect(refused.warnings).toHaveLength(1);
    expect(refused.warnings[0]).toMatch(/could not be reached/);
    expect(refused.warnings[0]).not.toContain('wrong-s3cr3t');
    const publishing = await refused.client.getManifest(ref).catch((e: Error) => e);
    expect(publishing).toBeInstanceOf(UserError);
    expect((publishing as Error).message).not.toContain('wrong-s3cr3t');
  });
});
