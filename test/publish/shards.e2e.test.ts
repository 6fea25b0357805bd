import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MZIMAGE, mzimage, mzimageAsync, type Run } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/**
 * CI shards that cooperate through the registry: three `mzimage ensure --all --shard I/3`
 * processes at once, each with a cache directory (and so locks) of its own, as on three
 * machines, against one real registry behind a proxy that logs every request. Ten images in
 * three chains (a ← b ← c), so that dependencies cross shards.
 */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let REGISTRY: string;
const used: string[] = [];
const cacheDirs: string[] = [];
const NAMES = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3', 'b4', 'c1', 'c2', 'c3'];
const DEPENDENCY: Record<string, string> = { b1: 'a1', b2: 'a2', b3: 'a3', b4: 'a1', c1: 'b1', c2: 'b2', c3: 'b3' };

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  REGISTRY = `${proxy.host}/shards`;
  repo = new GitRepo();
  const files: Record<string, string> = {};
  for (const name of NAMES) {
    const from = DEPENDENCY[name] ? `MZFROM ${DEPENDENCY[name]}` : 'FROM scratch';
    Object.assign(files, image(`images/${name}`, name, `${from}\nCOPY file /${name}\n`), { [`images/${name}/file`]: `${name}\n` });
  }
  repo.write(files);
  repo.commit();
});
afterAll(async () => {
  removeImages(...used);
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
  for (const dir of cacheDirs) rmSync(dir, { recursive: true, force: true });
});

function freshPrefix(): string[] {
  const args = ['--image-registry', REGISTRY, '--image-prefix', `${uniqueName('shards')}-`];
  used.push(...JSON.parse(mzimage(repo.root, ['spec', '--all', '--json', ...args]).stdout).map((s: { reference: string }) => s.reference));
  return args;
}

/** A "machine": mzimage with a cache directory of its own, so that no lock is shared with the other shards. */
function shardProcess(args: string[]): { done: Promise<Run>; kill: () => void } {
  const cacheDir = mkdtempSync(join(tmpdir(), 'mzbuild-shard-'));
  cacheDirs.push(cacheDir);
  const child = spawn(MZIMAGE, args, { cwd: repo.root, env: { ...process.env, CI: '', MZBUILD_CACHE_DIR: cacheDir } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

type Job = { shard: string; images: string[] };
/** The matrix, through the proxy (served by this process: never a blocking child). */
const matrix = async (args: string[]): Promise<Job[]> => {
  const run = await mzimageAsync(repo.root, ['plan', '--all', '--json', '--shards', '3', ...args], { CI: 'true' });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim().split('\n')).toHaveLength(1); // one line, for $GITHUB_OUTPUT
  return JSON.parse(run.stdout);
};
/** The image repositories whose manifest was PUT, one entry per PUT; not their inputs records (`….inputs`), which any shard may write beside a published image (the same bytes). */
const manifestPuts = () =>
  proxy
    .writes()
    .filter((r) => r.method === 'PUT' && r.path.includes('/manifests/') && !r.path.endsWith('.inputs'))
    .map((r) => r.path.split('/')[3]!.replace(/^shards-[0-9a-f]+-/, ''))
    .sort();

it('three shards at once publish every image, each built and pushed exactly once', async () => {
  const args = freshPrefix();
  const jobs = await matrix(args);
  // Every image in exactly one shard's share, and some image builds on another shard's.
  expect(jobs.flatMap((j) => j.images).sort()).toEqual(NAMES);
  const shardOf = new Map(jobs.flatMap((j) => j.images.map((name) => [name, j.shard])));
  expect(Object.entries(DEPENDENCY).some(([name, dependency]) => shardOf.get(name) !== shardOf.get(dependency))).toBe(true);

  proxy.clear();
  const runs = await Promise.all([1, 2, 3].map((i) => shardProcess(['ensure', '--all', '--shard', `${i}/3`, ...args]).done));
  expect(runs.map((run) => [run.status, run.status === 0 ? '' : run.stderr])).toEqual([
    [0, ''],
    [0, ''],
    [0, ''],
  ]);
  expect(manifestPuts()).toEqual(NAMES);
  const pushed = runs.map((run) => Number(/(\d+) pushed/.exec(run.stdout)?.[1]));
  expect(pushed.reduce((a, b) => a + b, 0)).toBe(NAMES.length);
  // Each shard pushed its own share, and left the rest to the others.
  for (const [i, run] of runs.entries()) {
    const own = jobs.find((j) => j.shard === `${i + 1}/3`)?.images ?? [];
    expect(pushed[i]).toBe(own.length);
    expect(run.stdout).toContain(`${NAMES.length - own.length} left to other shards`);
  }
  // Nothing is left for any shard.
  expect(await matrix(args)).toEqual([]);
}, 240_000);

it('a shard whose dependency\'s shard was killed builds it itself after --shard-wait; a rerun of the killed shard completes the work', async () => {
  const args = freshPrefix();
  const jobs = await matrix(args);
  const shardOf = new Map(jobs.flatMap((j) => j.images.map((name) => [name, j.shard])));
  // The shard to kill owns a dependency of another shard's image.
  const [dependent, dependency] = Object.entries(DEPENDENCY).find(([name, dep]) => shardOf.get(name) !== shardOf.get(dep))!;
  const killed = shardOf.get(dependency)!;

  proxy.clear();
  const started = Date.now();
  const processes = jobs.map((j) => ({ shard: j.shard, process: shardProcess(['ensure', '--all', '--shard', j.shard, '--shard-wait', '3s', ...args]) }));
  processes.find((p) => p.shard === killed)!.process.kill();
  const runs = new Map(await Promise.all(processes.map(async (p) => [p.shard, await p.process.done] as const)));
  expect(runs.get(killed)!.status).not.toBe(0);
  const waiter = runs.get(shardOf.get(dependent)!)!;
  expect([waiter.status, waiter.status === 0 ? '' : waiter.stderr]).toEqual([0, '']);
  expect(waiter.stderr).toMatch(new RegExp(`${dependency} +\\| shard ${killed.split('/')[0]}/3 builds \\S+${dependency}:mzbuild-\\S+: waiting for it in the registry`));
  expect(waiter.stderr).toMatch(new RegExp(`${dependency} +\\| shard ${killed.split('/')[0]} did not publish it within the shard wait \\(--shard-wait\\): building it here`));
  expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  // What it built in the dead shard's place it pushed, for whoever else waits.
  expect(manifestPuts()).toContain(dependency);

  const rerun = await shardProcess(['ensure', '--all', '--shard', killed, '--shard-wait', '3s', ...args]).done;
  expect([rerun.status, rerun.status === 0 ? '' : rerun.stderr]).toEqual([0, '']);
  expect(await matrix(args)).toEqual([]);
  // Every image published; the dead shard's may have been pushed twice, by two shards that both
  // waited for it and built it at their deadlines (the same image: the registry keeps one).
  expect([...new Set(manifestPuts())]).toEqual(NAMES);
}, 240_000);
