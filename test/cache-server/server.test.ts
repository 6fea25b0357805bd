// The cache server's rules at the HTTP level, against the real registry: Nx's statuses, immutable entries, the size cap, the token, the Host check, and trust.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPair } from '../../packages/core/src/signing';
import { CacheServerProcess, uniqueRepository } from '../support/cache-server';
import { LOOPBACK_REGISTRY, requireLoopbackRegistry } from '../support/registry';

const servers: CacheServerProcess[] = [];
let dir: string;
beforeAll(async () => {
  await requireLoopbackRegistry();
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-cache-server-'));
  await writeKeyPair(dir, 'a password');
});
afterAll(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CacheServerProcess> {
  const server = await CacheServerProcess.start(args, { MZBUILD_SIGNING_KEY: '', MZBUILD_TRUSTED_KEYS: '', ...env });
  servers.push(server);
  return server;
}

function send(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}): Promise<{ status: number; type: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

it('answers 401 in plain text without the token, and serves with it', async () => {
  const server = await start(['--cache-repository', uniqueRepository(LOOPBACK_REGISTRY, 'token')], { MZBUILD_CACHE_TOKEN: 'right-token' });
  const missing = await send(`${server.url}/v1/cache/1`, 'GET');
  expect(missing.status).toBe(401);
  expect(missing.type).toMatch(/^text\/plain/);
  expect((await send(`${server.url}/v1/cache/1`, 'GET', undefined, auth('wrong-token'))).status).toBe(401);
  expect((await send(`${server.url}/v1/cache/1`, 'GET', undefined, auth('right-token'))).status).toBe(404);
  expect(server.stderr).not.toContain('right-token');
});

it('keeps entries immutable: a second PUT of a hash answers 409 and writes nothing', async () => {
  const repository = uniqueRepository(LOOPBACK_REGISTRY, 'immutable');
  const server = await start(['--cache-repository', repository]);
  const first = randomBytes(40_000);
  expect((await send(`${server.url}/v1/cache/42`, 'PUT', first)).status).toBe(200);
  expect((await send(`${server.url}/v1/cache/42`, 'PUT', randomBytes(40_000))).status).toBe(409);
  const got = await send(`${server.url}/v1/cache/42`, 'GET');
  expect(got.status).toBe(200);
  expect(got.body.equals(first)).toBe(true);
});

it('refuses archives over the size cap with 403, and answers only to its own loopback names', async () => {
  const server = await start(['--cache-repository', uniqueRepository(LOOPBACK_REGISTRY, 'cap'), '--max-artifact-size', '16KiB']);
  expect((await send(`${server.url}/v1/cache/7`, 'PUT', randomBytes(20_000))).status).toBe(403);
  expect((await send(`${server.url}/v1/cache/7`, 'GET')).status).toBe(404);
  expect(server.stderr).toContain('larger than the cap');
  expect((await send(`${server.url}/v1/cache/7`, 'GET', undefined, { host: 'attacker.example:80' })).status).toBe(403);
});

it('refuses to listen beyond loopback', async () => {
  await expect(CacheServerProcess.start(['--listen', '0.0.0.0:0', '--cache-repository', 'x/y'])).rejects.toThrow(/loopback only/);
});

it('signs what it stores with MZBUILD_SIGNING_KEY, and with trusted keys serves only signed entries', async () => {
  const repository = uniqueRepository(LOOPBACK_REGISTRY, 'trust');
  const key = join(dir, 'cosign.key');
  const pub = join(dir, 'cosign.pub');
  const signer = await start(['--cache-repository', repository], { MZBUILD_SIGNING_KEY: key, MZBUILD_SIGNING_KEY_PASSWORD: 'a password' });
  const plain = await start(['--cache-repository', repository]);
  const reader = await start(['--cache-repository', repository, '--trusted-key', pub]);
  const signed = randomBytes(1000);
  expect((await send(`${signer.url}/v1/cache/100`, 'PUT', signed)).status).toBe(200);
  expect((await send(`${plain.url}/v1/cache/200`, 'PUT', randomBytes(1000))).status).toBe(200);

  const hit = await send(`${reader.url}/v1/cache/100`, 'GET');
  expect(hit.status).toBe(200);
  expect(hit.body.equals(signed)).toBe(true);
  expect((await send(`${reader.url}/v1/cache/200`, 'GET')).status).toBe(404);
  expect((await send(`${reader.url}/v1/cache/200`, 'GET')).status).toBe(404);
  expect(reader.stderr.match(/no trusted key signed it/g)).toHaveLength(1);
  expect(signer.stderr).not.toContain('a password');
});
