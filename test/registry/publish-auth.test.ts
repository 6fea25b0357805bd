import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { RegistryClient } from '../../packages/core/src/registry/client';
import { basicCredentials, TestResources } from '../support/resources';
import { pushImage, RegistryServer, type PushedImage } from '../support/registry-server';
import { TrafficProxy, type TrafficProxyOptions } from '../support/traffic-proxy';
import { PushTokenServer } from './push-token-server';
import { TokenServer } from './token-server';

const USER = 'mzbuild-publisher';
const PASSWORD = 'Pa55-w0rd-for-PUSHING';
const WRONG_PASSWORD = 'n0t-the-PUSH-password';
const basic = basicCredentials;
const resources = new TestResources();
/** Every error message of this file: none may hold a secret (checked at the end). */
const messages: string[] = [];
const issuedTokens: string[] = [];

beforeAll(() => resources.open('mzbuild-publish-auth-'));
afterAll(() => resources.close());
const started = <T extends { stop(): Promise<void> }>(thing: Promise<T>) => resources.started(thing);

const proxy = (target: string, options: TrafficProxyOptions = {}) => started(TrafficProxy.start(target, options));

let configs = 0;
function client(config: object = {}): { client: RegistryClient; configFile: string } {
  const configDir = join(resources.dir, `config-${configs++}`);
  const configFile = join(configDir, 'config.json');
  mkdirSync(configDir);
  writeFileSync(configFile, JSON.stringify(config));
  const made = new RegistryClient({ env: { DOCKER_CONFIG: configDir, HOME: resources.dir, PATH: process.env['PATH'] }, retryDelayMs: 5, retries: 1 });
  resources.onClose(() => made.close());
  return { client: made, configFile };
}

/** The UserError a promise rejects with; its message is kept for the secrets check. */
async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  messages.push((error as Error).message);
  return (error as Error).message;
}

describe('Bearer tokens with push', () => {
  let tokens: PushTokenServer;
  let registry: RegistryServer;
  let web: PushedImage;
  beforeAll(async () => {
    tokens = await started(PushTokenServer.start({ credentials: { username: USER, password: PASSWORD }, readOnly: ['readonly/web'] }));
    registry = await started(RegistryServer.start({ auth: tokens.auth }));
    for (const repository of ['acme/web', 'readonly/web']) {
      const push = tokens.mint([{ type: 'repository', name: repository, actions: ['pull', 'push'] }]);
      web = await pushImage(registry.host, repository, 'v1', { authorization: `Bearer ${push}`, label: 'web' });
    }
  });
  afterAll(() => issuedTokens.push(...tokens.issued));
  const login = (host: string) => client({ auths: { [host]: { auth: basic(USER, PASSWORD) } } }).client;

  it('asks for pull to read and pull,push to write, one token per scope', async () => {
    const p = await proxy(registry.host);
    const c = login(p.host);
    const manifest = (await c.getManifest(`${p.host}/acme/web:v1`))!;
    expect(manifest.digest).toBe(web.digest);
    expect(await c.putManifest(`${p.host}/acme/web:stable`, manifest)).toBe(web.digest);
    expect(await c.putManifest(`${p.host}/acme/web:latest`, manifest)).toBe(web.digest);
    expect(tokens.requests.map((r) => r.scopes)).toEqual([['repository:acme/web:pull'], ['repository:acme/web:pull,push']]);
    for (const r of tokens.requests) expect(r.authorization).toBe(`Basic ${basic(USER, PASSWORD)}`);
    const puts = p.requests.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([201, 201]);
    for (const put of puts) expect(put.authorization).toMatch(/^Bearer ey/);
  });

  it('mounts across repositories with one token for both: push to the target, pull from the source', async () => {
    const p = await proxy(registry.host);
    const c = login(p.host);
    const before = tokens.requests.length;
    await c.copyImage(`${p.host}/acme/web:v1`, `${p.host}/mirror/web:v1`);
    expect(tokens.requests.slice(before).map((r) => r.scopes)).toEqual([['repository:mirror/web:pull,push', 'repository:acme/web:pull']]);
    const posts = p.requests.filter((r) => r.method === 'POST');
    expect(posts.map((r) => [r.query.get('from'), r.status])).toEqual([['acme/web', 201], ['acme/web', 201]]);
    expect(p.requests.filter((r) => r.status === 401).map((r) => r.url)).toEqual(['/v2/']);
    expect(await c.tagExists(`${p.host}/mirror/web:v1`)).toBe(true);
  });

  it('says that push was refused, naming where the credentials came from, never what they are', async () => {
    const { client: c, configFile } = client({ auths: { [registry.host]: { auth: basic(USER, PASSWORD) } } });
    const manifest = (await c.getManifest(`${registry.host}/readonly/web:v1`))!;
    expect(await failure(c.putManifest(`${registry.host}/readonly/web:stable`, manifest))).toBe(
      `registry ${registry.host} refused push access to readonly/web (401 to PUT /v2/readonly/web/manifests/stable, with credentials from ${configFile})`,
    );
    expect(await failure(c.copyImage(`${registry.host}/acme/web:v1`, `${registry.host}/readonly/web:copy`))).toMatch(
      new RegExp(`^cannot copy .*: registry ${registry.host} refused push access to readonly/web`),
    );
    expect(await c.tagExists(`${registry.host}/readonly/web:copy`)).toBe(false);

    const wrong = client({ auths: { [registry.host]: { auth: basic(USER, WRONG_PASSWORD) } } });
    expect(await failure(wrong.client.putManifest(`${registry.host}/acme/web:x`, manifest))).toMatch(
      /has a token service at http:\/\/127\.0\.0\.1:\d+ that answered 401 for repository:acme\/web:pull,push, with credentials from /,
    );
  });

  it('redacts a token or credentials a registry echoes back in an error', async () => {
    const p = await proxy(registry.host, {
      intercept: (r) =>
        r.method === 'PUT'
          ? { status: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ errors: [{ code: 'DENIED', message: `you sent ${r.authorization}` }] }) }
          : 'pass',
    });
    const c = login(p.host);
    const manifest = (await c.getManifest(`${p.host}/acme/web:v1`))!;
    const message = await failure(c.putManifest(`${p.host}/acme/web:echo`, manifest));
    expect(message).toBe(`registry ${p.host} answered 400 to PUT /v2/acme/web/manifests/echo (DENIED: you sent Bearer ***)`);
  });
});

describe('A token service that grants only pull', () => {
  it('is asked for push, and the registry refuses the write', async () => {
    const tokens = await started(TokenServer.start());
    const { realm, service, issuer, certFile } = tokens;
    const registry = await started(RegistryServer.start({ auth: { token: { realm, service, issuer, rootCertBundle: certFile } } }));
    const push = tokens.mint([{ type: 'repository', name: 'acme/web', actions: ['pull', 'push'] }]);
    await pushImage(registry.host, 'acme/web', 'v1', { authorization: `Bearer ${push}` });
    const { client: c } = client();
    const manifest = (await c.getManifest(`${registry.host}/acme/web:v1`))!;
    expect(await failure(c.putManifest(`${registry.host}/acme/web:v2`, manifest))).toMatch(/refused push access to acme\/web \(401/);
    expect(tokens.requests.map((r) => r.scope)).toEqual(['repository:acme/web:pull', 'repository:acme/web:pull,push', 'repository:acme/web:pull,push']);
    expect(await c.tagExists(`${registry.host}/acme/web:v2`)).toBe(false);
    issuedTokens.push(...tokens.issued);
  });
});

describe('Basic auth (htpasswd)', () => {
  let registry: RegistryServer;
  let mirror: RegistryServer;
  beforeAll(async () => {
    [registry, mirror] = await Promise.all([
      started(RegistryServer.start({ auth: { htpasswd: { username: USER, password: PASSWORD } } })),
      started(RegistryServer.start({ auth: { htpasswd: { username: USER, password: PASSWORD } } })),
    ]);
    await pushImage(registry.host, 'acme/web', 'v1', { authorization: `Basic ${basic(USER, PASSWORD)}` });
  });

  it('copies between two registries with the credentials of each', async () => {
    const { client: c } = client({ auths: { [registry.host]: { auth: basic(USER, PASSWORD) }, [mirror.host]: { auth: basic(USER, PASSWORD) } } });
    await c.copyImage(`${registry.host}/acme/web:v1`, `${mirror.host}/acme/web:v1`);
    expect(await c.tagExists(`${mirror.host}/acme/web:v1`)).toBe(true);
  });

  it('follows a blob redirect to another host (a CDN) without sending it the credentials, and starts over a transfer cut short', async () => {
    const layer = randomBytes(200_000);
    const image = await pushImage(registry.host, 'acme/cdn', 'v1', { authorization: `Basic ${basic(USER, PASSWORD)}`, layer });
    const layerDigest = image.layers[0]!.digest;
    const cdnRequests: { url: string; authorization?: string }[] = [];
    let breaking = true;
    const cdn = createServer((req, res) => {
      cdnRequests.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(layer.length) });
      // The first answers break off halfway through.
      if (breaking) res.write(layer.subarray(0, layer.length / 2), () => res.socket?.destroy());
      else res.end(layer);
    });
    await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
    resources.onClose(async () => {
      cdn.closeAllConnections();
      await new Promise((resolve) => cdn.close(resolve));
    });
    const cdnUrl = `http://127.0.0.1:${(cdn.address() as { port: number }).port}/blobs/${layerDigest}?signature=abc`;
    const p = await proxy(registry.host, {
      intercept: (r) => (r.method === 'GET' && r.path.endsWith(`/blobs/${layerDigest}`) ? { status: 307, headers: { location: cdnUrl } } : 'pass'),
    });
    const { client: c } = client({ auths: { [p.host]: { auth: basic(USER, PASSWORD) }, [mirror.host]: { auth: basic(USER, PASSWORD) } } });
    // Cut short every time: the transfer is tried again (retries: 1), then the copy fails, and says where.
    expect(await failure(c.copyImage(`${p.host}/acme/cdn:v1`, `${mirror.host}/acme/cdn:v1`))).toMatch(
      new RegExp(`: registry ${p.host} broke off sending the blob ${layerDigest} \\(GET /v2/acme/cdn/blobs/${layerDigest}\\), to copy it to ${mirror.host}/acme/cdn: `),
    );
    expect(cdnRequests).toHaveLength(2);
    expect(await c.tagExists(`${mirror.host}/acme/cdn:v1`)).toBe(false);
    breaking = false;
    await c.copyImage(`${p.host}/acme/cdn:v1`, `${mirror.host}/acme/cdn:v1`);
    expect(p.requests.find((r) => r.path.endsWith(`/blobs/${layerDigest}`))?.authorization).toBe(`Basic ${basic(USER, PASSWORD)}`);
    expect(cdnRequests).toEqual(Array(3).fill({ url: `/blobs/${layerDigest}?signature=abc` }));
    expect((await c.getManifest(`${mirror.host}/acme/cdn:v1`))?.digest).toBe(image.digest);
  });

  it('fails with a UserError without the password when the credentials are wrong or missing', async () => {
    const wrong = client({ auths: { [registry.host]: { auth: basic(USER, WRONG_PASSWORD) } } });
    expect(await failure(wrong.client.copyImage(`${registry.host}/acme/web:v1`, `${registry.host}/acme/web:v2`))).toBe(
      `cannot copy ${registry.host}/acme/web:v1 to ${registry.host}/acme/web:v2: registry ${registry.host} refused pull access to acme/web ` +
        `(401 to GET /v2/acme/web/manifests/v1, with credentials from ${wrong.configFile})`,
    );
    const none = client();
    expect(await failure(none.client.tagExists(`${registry.host}/acme/web:v1`))).toBe(
      `registry ${registry.host} refused pull access to acme/web (401 to HEAD /v2/acme/web/manifests/v1, without credentials: run docker login ${registry.host})`,
    );
  });
});

it('never puts a password, a Basic value or a token in an error', () => {
  expect(messages.length).toBeGreaterThanOrEqual(7);
  expect(issuedTokens.length).toBeGreaterThan(0);
  const secrets = [PASSWORD, WRONG_PASSWORD, basic(USER, PASSWORD), basic(USER, WRONG_PASSWORD), ...issuedTokens];
  for (const message of messages) {
    for (const secret of secrets) expect(message).not.toContain(secret);
    // Nor a piece of one: an Authorization value is *** whole, or absent.
    expect(message).not.toMatch(/(Bearer|Basic) (?!\*\*\*)/);
  }
});
