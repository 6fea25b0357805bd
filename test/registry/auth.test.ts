import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryClient, type RegistryClientOptions } from '../../packages/core/src/registry/client';
import { basicCredentials, TestResources } from '../support/resources';
import { pushImage, RegistryServer } from '../support/registry-server';
import { FaultProxy } from './fault-proxy';
import { TokenServer } from './token-server';

const USER = 'mzbuild-ci';
const PASSWORD = 'Pa55-w0rd-very-SECRET';
const WRONG_PASSWORD = 'Wr0ng-but-still-SECRET';
const basic = basicCredentials;
const resources = new TestResources();
/** Every warning of every client here: none may hold a secret (checked at the end). */
const allWarnings: string[] = [];
const issuedTokens: string[] = [];

beforeAll(() => resources.open('mzbuild-auth-'));
afterAll(() => resources.close());
const started = <T extends { stop(): Promise<void> }>(thing: Promise<T>) => resources.started(thing);

let configs = 0;
/** A client whose docker config holds `auths` and `credHelpers`; PATH leads to this test's helpers. */
function client(config: object = {}, options: RegistryClientOptions = {}): { client: RegistryClient; warnings: string[]; configFile: string } {
  const configDir = join(resources.dir, `config-${configs++}`);
  const configFile = join(configDir, 'config.json');
  mkdirSync(configDir);
  writeFileSync(configFile, JSON.stringify(config));
  const warnings: string[] = [];
  const made = new RegistryClient({
    env: { DOCKER_CONFIG: configDir, HOME: resources.dir, PATH: `${resources.dir}:${process.env['PATH']}` },
    warn: (message) => {
      warnings.push(message);
      allWarnings.push(message);
    },
    retryDelayMs: 5,
    ...options,
  });
  resources.onClose(() => made.close());
  return { client: made, warnings, configFile };
}

const values = async (c: RegistryClient, refs: string[]) => [...(await c.checkExistence(refs)).values()];

describe('Basic auth (htpasswd)', () => {
  let registry: RegistryServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    registry = await started(RegistryServer.start({ auth: { htpasswd: { username: USER, password: PASSWORD } } }));
    await pushImage(registry.host, 'acme/web', 'mzbuild-AAAA', { authorization: `Basic ${basic(USER, PASSWORD)}` });
    proxy = await started(FaultProxy.start(registry.host));
  });

  it('uses the credentials of docker config auths, sent up front once the registry asked for them', async () => {
    const { client: c, warnings } = client({ auths: { [proxy.host]: { auth: basic(USER, PASSWORD) } } });
    const refs = [`${proxy.host}/acme/web:mzbuild-AAAA`, ...Array.from({ length: 9 }, (_, i) => `${proxy.host}/acme/web:mzbuild-N${i}`)];
    expect(await values(c, refs)).toEqual(['present', ...Array(9).fill('absent')]);
    expect(warnings).toEqual([]);
    // One anonymous ping earns the 401; every HEAD then carries Basic credentials and gets through.
    expect(proxy.requests.filter((q) => q.status === 401).map((q) => `${q.method} ${q.url}`)).toEqual(['GET /v2/']);
    const heads = proxy.requests.filter((q) => q.method === 'HEAD');
    expect(heads).toHaveLength(10);
    for (const head of heads) expect(head.authorization).toBe(`Basic ${basic(USER, PASSWORD)}`);
  });

  it('uses a credential helper found on PATH', async () => {
    const helper = join(resources.dir, 'docker-credential-test');
    writeFileSync(
      helper,
      `#!/bin/sh\nread -r server\n[ "$server" = '${registry.host}' ] || { echo 'credentials not found in native keychain' >&2; exit 1; }\n` +
        `printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"\n`,
    );
    chmodSync(helper, 0o755);
    const { client: c, warnings } = client({ credHelpers: { [registry.host]: 'test' } });
    expect(await values(c, [`${registry.host}/acme/web:mzbuild-AAAA`, `${registry.host}/acme/web:nope`])).toEqual(['present', 'absent']);
    expect(warnings).toEqual([]);
  });

  it('answers unknown, with one warning, without credentials or with wrong ones', async () => {
    const none = client();
    expect(await values(none.client, [`${registry.host}/acme/web:mzbuild-AAAA`, `${registry.host}/acme/web:2`])).toEqual(['unknown', 'unknown']);
    const refused = `registry ${registry.host} refused access to acme/web (401`;
    expect(none.warnings).toEqual([`${refused}, without credentials: run docker login ${registry.host}); images will be built locally`]);
    const wrong = client({ auths: { [registry.host]: { username: USER, password: WRONG_PASSWORD } } });
    expect(await values(wrong.client, [`${registry.host}/acme/web:mzbuild-AAAA`, `${registry.host}/acme/web:2`])).toEqual(['unknown', 'unknown']);
    expect(wrong.warnings).toEqual([`${refused}, with credentials from ${wrong.configFile}); images will be built locally`]);
  });
});

describe('Bearer tokens (distribution token auth)', () => {
  let tokens: TokenServer;
  let registry: RegistryServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    tokens = await started(TokenServer.start({ expiresIn: 1, deny: ['secret/repo'] }));
    const { realm, service, issuer, certFile } = tokens;
    registry = await started(RegistryServer.start({ auth: { token: { realm, service, issuer, rootCertBundle: certFile } } }));
    for (const [repository, tag] of [['acme/web', 'mzbuild-AAAA'], ['base', 'mzbuild-BBBB']] as const) {
      const push = tokens.mint([{ type: 'repository', name: repository, actions: ['pull', 'push'] }]);
      await pushImage(registry.host, repository, tag, { authorization: `Bearer ${push}` });
    }
    proxy = await started(FaultProxy.start(registry.host));
  });
  afterAll(() => issuedTokens.push(...tokens.issued));

  it('gets one token per repository, anonymously, and reuses it for its lifetime', async () => {
    const { client: c, warnings } = client({}, { concurrency: 8 });
    const absent = (batch: string) => Array.from({ length: 10 }, (_, i) => `${proxy.host}/acme/web:${batch}-${i}`);
    const refs = [...absent('one'), `${proxy.host}/acme/web:mzbuild-AAAA`, `${proxy.host}/base:mzbuild-BBBB`, `${proxy.host}/base:x`];
    expect(await values(c, refs)).toEqual([...Array(10).fill('absent'), 'present', 'present', 'absent']);
    expect(warnings).toEqual([]);
    expect(tokens.requests.map((r) => [r.scope, r.authorization])).toEqual(
      expect.arrayContaining([['repository:acme/web:pull', undefined], ['repository:base:pull', undefined]]),
    );
    expect(tokens.requests).toHaveLength(2);
    expect(proxy.requests.filter((q) => q.status === 401).map((q) => q.url)).toEqual(['/v2/']);
    for (const head of proxy.requests.filter((q) => q.method === 'HEAD')) expect(head.authorization).toMatch(/^Bearer ey/);

    // Within its lifetime (1 s, less a margin) the token is reused; after it, a new one is fetched.
    expect(await values(c, absent('two'))).toEqual(Array(10).fill('absent'));
    expect(tokens.requests).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(await values(c, absent('three'))).toEqual(Array(10).fill('absent'));
    expect(tokens.requests).toHaveLength(3);
    expect(proxy.requests.filter((q) => q.status === 401)).toHaveLength(1);
  });

  it('answers unknown when the token does not grant access, and asks for a new one only once', async () => {
    const { client: c, warnings } = client();
    const before = tokens.requests.length;
    expect(await values(c, [`${registry.host}/secret/repo:1`])).toEqual(['unknown']);
    expect(tokens.requests.length - before).toBe(2);
    const refused = `registry ${registry.host} refused access to secret/repo (401`;
    expect(warnings).toEqual([`${refused}, without credentials: run docker login ${registry.host}); images will be built locally`]);
  });
});

describe('Bearer tokens that need credentials', () => {
  let tokens: TokenServer;
  let registry: RegistryServer;
  beforeAll(async () => {
    tokens = await started(TokenServer.start({ credentials: { username: USER, password: PASSWORD } }));
    const { realm, service, issuer, certFile } = tokens;
    registry = await started(RegistryServer.start({ auth: { token: { realm, service, issuer, rootCertBundle: certFile } } }));
    const push = tokens.mint([{ type: 'repository', name: 'acme/private', actions: ['pull', 'push'] }]);
    await pushImage(registry.host, 'acme/private', 'mzbuild-PPPP', { authorization: `Bearer ${push}` });
  });
  afterAll(() => issuedTokens.push(...tokens.issued));

  it('sends Basic credentials to the token service', async () => {
    const { client: c, warnings } = client({ auths: { [`http://${registry.host}/`]: { auth: basic(USER, PASSWORD) } } });
    expect(await values(c, [`${registry.host}/acme/private:mzbuild-PPPP`, `${registry.host}/acme/private:nope`])).toEqual(['present', 'absent']);
    expect(warnings).toEqual([]);
    expect(tokens.requests).toEqual([{ scope: 'repository:acme/private:pull', authorized: true, authorization: `Basic ${basic(USER, PASSWORD)}` }]);
  });

  it('answers unknown, with one warning naming the token service, when it refuses the credentials', async () => {
    const { client: c, warnings, configFile } = client({ auths: { [registry.host]: { auth: basic(USER, WRONG_PASSWORD) } } });
    expect(await values(c, [`${registry.host}/acme/private:mzbuild-PPPP`, `${registry.host}/acme/private:2`])).toEqual(['unknown', 'unknown']);
    const origin = new URL(tokens.realm).origin;
    expect(warnings).toEqual([
      `registry ${registry.host} has a token service at ${origin} that answered 401 for repository:acme/private:pull, ` +
        `with credentials from ${configFile}; images will be built locally`,
    ]);
  });

  it('answers unknown when the token service cannot be reached', async () => {
    const stopped = await TokenServer.start();
    const realm = stopped.realm;
    await stopped.stop();
    const start = () => RegistryServer.start({ auth: { token: { realm, service: 's', issuer: 'i', rootCertBundle: tokens.certFile } } });
    // The kernel may give the registry the port the token service had: then it would answer for it.
    let lonely = await start();
    while (`http://${lonely.host}` === new URL(realm).origin) {
      const taken = lonely;
      lonely = await start();
      await taken.stop();
    }
    lonely = await started(Promise.resolve(lonely));
    const { client: c, warnings } = client({ auths: { [lonely.host]: { auth: basic(USER, PASSWORD) } } });
    expect(await values(c, [`${lonely.host}/acme/web:1`])).toEqual(['unknown']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`registry ${lonely.host} has a token service at ${new URL(realm).origin} that could not be reached (connect ECONNREFUSED`);
  });
});

it('never puts a password, a Basic value or a token in a warning', () => {
  expect(allWarnings.length).toBeGreaterThanOrEqual(5);
  expect(issuedTokens.length).toBeGreaterThan(0);
  const secrets = [PASSWORD, WRONG_PASSWORD, basic(USER, PASSWORD), basic(USER, WRONG_PASSWORD), ...issuedTokens];
  for (const warning of allWarnings) for (const secret of secrets) expect(warning).not.toContain(secret);
});
