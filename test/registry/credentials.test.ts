import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookupCredentials } from '../../packages/core/src/registry/credentials';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-creds-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** An environment with only this test's docker config and helpers: never the user's. */
function env(config: object | string | undefined, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return { PATH: `${dir}:${process.env['PATH']}`, HOME: dir, DOCKER_CONFIG: dir, ...extra };
}

/** A `docker-credential-NAME` on PATH that logs what it is asked and answers from `known`. */
function helper(name: string, known: Record<string, { Username: string; Secret: string }>, exitStatus?: number): void {
  const file = join(dir, `docker-credential-${name}`);
  const cases = Object.entries(known)
    .map(([server, { Username, Secret }]) => `  '${server}') printf '%s' '${JSON.stringify({ ServerURL: server, Username, Secret })}' ;;`)
    .join('\n');
  writeFileSync(
    file,
    `#!/bin/sh
[ "$1" = get ] || exit 2
read -r server
echo "$server" >> '${dir}/${name}.log'
${exitStatus !== undefined ? `exit ${exitStatus}` : ''}
case "$server" in
${cases}
  *) echo 'credentials not found in native keychain' >&2; exit 1 ;;
esac
`,
  );
  chmodSync(file, 0o755);
}

const basic = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

it('reads auths: base64 auth, or username and password, keyed by host or URL', async () => {
  const e = env({
    auths: {
      'registry.example:5000': { auth: basic('alice', 'pa:ss') },
      'https://other.example/v2/': { username: 'bob', password: 'pw' },
      'empty.example': {},
    },
  });
  expect(await lookupCredentials('registry.example:5000', e)).toEqual({
    credentials: { username: 'alice', password: 'pa:ss', source: join(dir, 'config.json') },
  });
  expect((await lookupCredentials('other.example', e)).credentials).toMatchObject({ username: 'bob', password: 'pw' });
  expect(await lookupCredentials('empty.example', e)).toEqual({});
  expect(await lookupCredentials('unknown.example', e)).toEqual({});
});

it("finds Docker Hub's credentials under https://index.docker.io/v1/", async () => {
  const e = env({ auths: { 'https://index.docker.io/v1/': { auth: basic('hubuser', 'hubpass') } } });
  expect((await lookupCredentials('docker.io', e)).credentials).toMatchObject({ username: 'hubuser', password: 'hubpass' });
});

it('asks the credential helper for the registry first, on PATH, with the server on stdin', async () => {
  helper('test', { 'registry.example:5000': { Username: 'helper-user', Secret: 'helper-secret' } });
  const e = env({
    credHelpers: { 'registry.example:5000': 'test' },
    auths: { 'registry.example:5000': { auth: basic('alice', 'file-secret') } },
  });
  expect(await lookupCredentials('registry.example:5000', e)).toEqual({
    credentials: { username: 'helper-user', password: 'helper-secret', source: 'credential helper docker-credential-test' },
  });
  expect(readFileSync(join(dir, 'test.log'), 'utf8')).toBe('registry.example:5000\n');
});

it('asks credsStore, with Hub under its legacy URL', async () => {
  helper('store', { 'https://index.docker.io/v1/': { Username: 'hub', Secret: 'from-store' } });
  const e = env({ credsStore: 'store' });
  expect((await lookupCredentials('docker.io', e)).credentials).toMatchObject({ username: 'hub', password: 'from-store' });
  expect(await lookupCredentials('ghcr.io', e)).toEqual({}); // "credentials not found": nothing, and no problem
  expect(readFileSync(join(dir, 'store.log'), 'utf8')).toBe('https://index.docker.io/v1/\nghcr.io\n');
});

it('takes a missing or failing helper as no credentials, says why, and falls back to auths', async () => {
  helper('broken', {}, 3);
  const e = env({ credHelpers: { 'a.example': 'missing', 'b.example': 'broken' }, auths: { 'b.example': { auth: basic('u', 'p') } } });
  expect(await lookupCredentials('a.example', e)).toEqual({ problem: 'docker-credential-missing is not on PATH' });
  expect((await lookupCredentials('b.example', e)).credentials).toMatchObject({ username: 'u', password: 'p' });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ credHelpers: { 'b.example': 'broken' } }));
  expect(await lookupCredentials('b.example', e)).toEqual({ problem: 'docker-credential-broken failed (exit status 3)' });
});

it('takes GHCR_TOKEN or GITHUB_TOKEN for ghcr.io when docker knows of nothing', async () => {
  expect(await lookupCredentials('ghcr.io', env(undefined, { GITHUB_TOKEN: 'ghs_actions' }))).toEqual({
    credentials: { username: 'token', password: 'ghs_actions', source: 'GITHUB_TOKEN' },
  });
  expect((await lookupCredentials('ghcr.io', env(undefined, { GITHUB_TOKEN: 'ghs_actions', GHCR_TOKEN: 'ghp_pat' }))).credentials).toMatchObject({
    password: 'ghp_pat',
    source: 'GHCR_TOKEN',
  });
  // Docker's own credentials win; other registries never get the token.
  const configured = env({ auths: { 'ghcr.io': { auth: basic('me', 'docker-login') } } }, { GITHUB_TOKEN: 'ghs_actions' });
  expect((await lookupCredentials('ghcr.io', configured)).credentials).toMatchObject({ username: 'me', password: 'docker-login' });
  expect(await lookupCredentials('registry.example', env(undefined, { GITHUB_TOKEN: 'ghs_actions' }))).toEqual({});
});

it('reads $DOCKER_CONFIG, else ~/.docker, and reports a config that is not JSON', async () => {
  const home = mkdtempSync(join(tmpdir(), 'mzbuild-home-'));
  try {
    mkdirSync(join(home, '.docker'));
    writeFileSync(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'r.example': { auth: basic('h', 'home') } } }));
    expect((await lookupCredentials('r.example', { HOME: home })).credentials).toMatchObject({ password: 'home' });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  expect(await lookupCredentials('r.example', env('{not json'))).toEqual({ problem: `${join(dir, 'config.json')} is not a JSON object` });
});
