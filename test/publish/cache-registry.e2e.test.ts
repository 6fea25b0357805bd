// Read and write apart: a job with a cache registry reads the registry, pushes only to its scratch namespace, and a trusted job never reads that.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPair } from '../../packages/core/src/signing';
import { mzimageAsync } from '../support/cli';
import { imageExists, removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/**
 * base ← top, with the real engine and one real registry behind a logging proxy: the main
 * namespace `team`, which main's job writes and signs, and the pull requests' `pr`. The steps run
 * in order on one setup.
 */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let dir: string;
let MAIN: string;
let CACHE: string;
const prefix = `${uniqueName('cachereg')}-`;
const PASSWORD = 'cache registry password';

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  MAIN = `${proxy.host}/team`;
  CACHE = `${proxy.host}/pr`;
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-cache-registry-'));
  await writeKeyPair(dir, PASSWORD);
  repo = new GitRepo();
  repo.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'),
    'images/base/motd': 'base\n',
    ...image('images/top', 'top', 'MZFROM base\nCOPY motd /top\n'),
    'images/top/motd': 'top\n',
  });
  repo.commit();
});
afterAll(async () => {
  if (repo) {
    const refs = Object.values(await references());
    removeImages(...refs, ...refs.map((r) => r.replace(MAIN, CACHE)));
  }
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const trusted = () => ['--trusted-key', join(dir, 'cosign.pub')];
const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  mzimageAsync(repo.root, [...args, '--image-registry', MAIN, '--image-prefix', prefix], { CI: '', MZBUILD_SIGNING_KEY: '', MZBUILD_TRUSTED_KEYS: '', MZBUILD_CACHE_REGISTRY: '', ...env });
const main = (args: string[]) => cli([...args, '--trusted-key', join(dir, 'cosign.pub')], { MZBUILD_SIGNING_KEY: join(dir, 'cosign.key'), MZBUILD_SIGNING_KEY_PASSWORD: PASSWORD });
/** A pull request's job: no key to sign with, the cache registry from the environment. */
const pr = (args: string[], env: NodeJS.ProcessEnv = {}) => cli(args, { MZBUILD_CACHE_REGISTRY: CACHE, ...env });

async function references(): Promise<Record<string, string>> {
  const specs = JSON.parse((await cli(['spec', '--all', '--json'])).stdout);
  return Object.fromEntries(specs.map((s: { name: string; reference: string }) => [s.name, s.reference]));
}

it('a pull request job publishes to the cache registry alone; what the registry has it leaves, and signs nothing', async () => {
  expect((await main(['ensure', 'base'])).status).toBe(0);
  const { base, top } = (await references()) as { base: string; top: string };
  removeImages(base, top);

  proxy.clear();
  const dry = await pr(['ensure', 'top', '--dry-run', '--trusted-key', join(dir, 'cosign.pub')]);
  expect(dry.status).toBe(0);
  expect(dry.stdout).toMatch(new RegExp(`^base +published +${base.replace(/[.]/g, '\\.')} \\(in the registry, which a run with a cache registry only reads\\)$`, 'm'));
  expect(dry.stdout).toMatch(/^top +push +\S+\/pr\/\S+top:mzbuild-\S+ \(built first\) \(would write the inputs record \S+\/pr\/\S+top:mzbuild-\S+\.inputs\)$/m);

  const result = await pr(['ensure', 'top', '--trusted-key', join(dir, 'cosign.pub')]);
  expect(result.status).toBe(0);
  expect(result.stdout).toMatch(/1 pushed, 0 copied between registries, 1 already published/);
  expect(result.stdout).not.toMatch(/signature/);
  // Every write went to the scratch namespace; base was pulled from the registry, by its verified digest, to build top on.
  const writes = proxy.writes();
  expect(writes.length).toBeGreaterThan(0);
  expect(writes.filter((w) => !w.path.startsWith('/v2/pr/'))).toEqual([]);
  expect(proxy.requests.some((r) => r.method === 'GET' && /\/v2\/team\/\S+base\/manifests\/sha256:/.test(r.path))).toBe(true);
  const inMain = await fetch(`http://${registry.host}/v2/team/${prefix}top/manifests/${top.split(':').pop()}`, { method: 'HEAD' });
  expect(inMain.status).toBe(404);
  const inCache = await fetch(`http://${registry.host}/v2/pr/${prefix}top/manifests/${top.split(':').pop()}`, { method: 'HEAD' });
  expect(inCache.status).toBe(200);

  // Its own push is unsigned, so with trusted keys the next run does not trust it: it is written over, without asking, as scratch.
  const again = await pr(['ensure', 'top', '--dry-run', ...trusted()]);
  expect(again.status).toBe(0);
  expect(again.stdout).toMatch(/^top +push +\S+ \(from the local engine\) \(replacing untrusted \S+\/pr\/\S+top:mzbuild-\S+\)$/m);
}, 180_000);

it('a pull request job without trusted keys uses the cache registry\'s image, named as the registry\'s; with them, builds it (unsigned)', async () => {
  const { top } = (await references()) as { top: string };
  removeImages(top, top.replace(MAIN, CACHE));

  const plan = await pr(['plan', 'top']);
  expect(plan.stdout).toMatch(new RegExp(`^top +registry +\\S+ +\\(from the cache registry: ${top.replace(MAIN, CACHE).replace(/[.]/g, '\\.')}\\)$`, 'm'));
  const acquired = await pr(['acquire', 'top']);
  expect(acquired.status).toBe(0);
  expect(acquired.stdout).toMatch(/top +pulled/);
  expect(imageExists(top)).toBe(true);

  removeImages(top);
  const strict = await pr(['plan', 'top', ...trusted()]);
  expect(strict.stdout).toMatch(/^top +build +\S+ +\(not in the registry; the cache registry's is not signed by a trusted key either\)$/m);
});

it('a trusted job never reads the cache registry; and a run with one writes no release tags', async () => {
  proxy.clear();
  const plan = await cli(['plan', 'top', ...trusted()]);
  expect(plan.stdout).toMatch(/^top +build +\S+ +\(not in the registry\)$/m);
  expect(proxy.requests.filter((r) => r.path.startsWith('/v2/pr/'))).toEqual([]);

  const multiarch = await pr(['publish-multiarch', 'latest', 'base']);
  expect(multiarch.status).toBe(1);
  expect(multiarch.stderr).toMatch(/no index was written: a run with a cache registry \(\S+\/pr\) writes only there/);
  expect(multiarch.stderr).not.toMatch(/\n\s+at /);
});

it('refuses a cache registry that is the registry itself', async () => {
  const same = await cli(['ensure', 'top', '--cache-registry', `${proxy.host}/team`]);
  expect(same.status).toBe(1);
  expect(same.stderr).toMatch(/the cache registry \S+\/team is also the registry: an untrusted job would push where trusted jobs read/);
});
