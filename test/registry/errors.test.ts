import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { RegistryClient } from '../../packages/core/src/registry/client';
import { OperationError, RegistryError, RegistryNetworkError } from '../../packages/core/src/registry/errors';
import { freePort, pushImage, RegistryServer } from '../support/registry-server';
import { TrafficProxy, type TrafficProxyOptions } from '../support/traffic-proxy';

// The registry client's failures carry what went wrong as fields, for callers that tell them apart.

let registry: RegistryServer;
let dir: string;
const proxies: TrafficProxy[] = [];
const clients: RegistryClient[] = [];

beforeAll(async () => {
  registry = await RegistryServer.start();
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-errors-'));
  await pushImage(registry.host, 'acme/web', 'v1', { label: 'errors' });
});
afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
});

function client(): RegistryClient {
  const made = new RegistryClient({ env: { DOCKER_CONFIG: dir, HOME: dir, PATH: process.env['PATH'] }, retries: 1, retryDelayMs: 5 });
  clients.push(made);
  return made;
}

async function proxy(options: TrafficProxyOptions): Promise<TrafficProxy> {
  const started = await TrafficProxy.start(registry.host, options);
  proxies.push(started);
  return started;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

it('gives the status, the error codes and the request of a refused manifest', async () => {
  const c = client();
  const manifest = (await c.getManifest(`${registry.host}/acme/web:v1`))!;
  const error = await rejection(c.putManifest(`${registry.host}/acme/empty:1`, manifest));
  expect(error).toBeInstanceOf(RegistryError);
  expect(error).toBeInstanceOf(UserError);
  expect(error).toMatchObject({
    registry: registry.host,
    status: 400,
    codes: expect.arrayContaining(['MANIFEST_BLOB_UNKNOWN']),
    request: { method: 'PUT', path: '/v2/acme/empty/manifests/1' },
  });
  expect((error as RegistryError).message).toBe(`registry ${registry.host} ${(error as RegistryError).reason}`);
});

it('gives the status of a refusal', async () => {
  const p = await proxy({ intercept: (r) => (r.path.includes('/manifests/') ? { status: 401 } : 'pass') });
  const error = await rejection(client().getManifest(`${p.host}/acme/web:v1`));
  expect(error).toBeInstanceOf(RegistryError);
  expect(error).toMatchObject({ status: 401, request: { method: 'GET', path: '/v2/acme/web/manifests/v1' } });
  expect((error as Error).message).toMatch(/refused pull access to acme\/web \(401 to GET/);
});

it('tells a request that got no answer from one that got a refusal', async () => {
  const host = `127.0.0.1:${await freePort()}`;
  // The ping finds nobody first: a RegistryError that names no request.
  const ping = await rejection(client().getManifest(`${host}/acme/web:v1`));
  expect(ping).toBeInstanceOf(RegistryError);
  expect(ping).not.toBeInstanceOf(RegistryNetworkError);
  expect(ping).toMatchObject({ request: undefined, status: undefined, reason: expect.stringMatching(/^could not be reached/) });

  // A request of the API that gets no answer once the registry has answered its ping.
  const p = await proxy({ intercept: (r) => (r.path.includes('/manifests/') ? 'drop' : 'pass') });
  const dropped = await rejection(client().tagExists(`${p.host}/acme/web:v1`));
  expect(dropped).toBeInstanceOf(RegistryNetworkError);
  expect(dropped).toMatchObject({ status: undefined, request: { method: 'HEAD', path: '/v2/acme/web/manifests/v1' } });
  const { failure, message } = dropped as RegistryNetworkError;
  expect(message).toBe(`registry ${p.host} ${failure}, for HEAD /v2/acme/web/manifests/v1`);
});

it('keeps the registry failure behind a failed copy', async () => {
  const c = client();
  const missing = await rejection(c.copyImage(`${registry.host}/acme/web:nope`, `${registry.host}/mirror/web:nope`));
  expect(missing).toBeInstanceOf(OperationError);
  expect((missing as OperationError).operation).toBe(`copy ${registry.host}/acme/web:nope to ${registry.host}/mirror/web:nope`);
  expect((missing as OperationError).cause).toBeUndefined();

  const p = await proxy({ intercept: (r) => (r.method === 'PUT' && r.path.includes('/manifests/') ? { status: 503 } : 'pass') });
  const refused = await rejection(c.copyImage(`${registry.host}/acme/web:v1`, `${p.host}/mirror/web:v1`));
  expect(refused).toBeInstanceOf(OperationError);
  expect((refused as Error).message).toMatch(/^cannot copy .*: registry .* answered 503 to PUT \/v2\/mirror\/web\/manifests\/v1$/);
  expect((refused as OperationError).cause).toBeInstanceOf(RegistryError);
  expect((refused as OperationError).cause).toMatchObject({ status: 503, request: { method: 'PUT', path: '/v2/mirror/web/manifests/v1' } });
});
