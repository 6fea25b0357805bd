import { loadContext } from '../../packages/core/src';
import { publish } from '../../packages/core/src/publish/ensure';
import { planPublish } from '../../packages/core/src/publish/plan';
import { CACHE_DIR, mzimage, mzimageAsync } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { TrafficProxy } from '../support/traffic-proxy';

/**
 * The registry decides between runs: a push whose tag appeared since the plan (another machine
 * pushed it) is not made again; two runs on one machine push each tag once. The real engine and
 * a real registry, behind a proxy that logs every request. base ← app.
 */
let registry: RegistryServer;
let proxy: TrafficProxy;
let repo: GitRepo;
let REGISTRY: string;
const used: string[] = [];

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  proxy = await TrafficProxy.start(registry.host);
  REGISTRY = `${proxy.host}/team`;
  repo = new GitRepo();
  repo.write({ ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'), 'images/base/motd': 'base\n', ...image('images/app', 'app', 'MZFROM base\n') });
  repo.commit();
});
afterAll(async () => {
  removeImages(...used);
  await proxy?.stop();
  await registry?.stop();
  repo?.dispose();
});

/** A prefix of its own for each test: what one test published is not there for the next. */
function freshPrefix(): { prefix: string; args: string[] } {
  const prefix = `${uniqueName('meanwhile')}-`;
  const args = ['--image-registry', REGISTRY, '--image-prefix', prefix];
  used.push(...JSON.parse(mzimage(repo.root, ['spec', '--all', '--json', ...args]).stdout).map((s: { reference: string }) => s.reference));
  return { prefix, args };
}
// Images' manifests only: their inputs records (`….inputs`) are written after them, by either run (the same bytes).
const manifestPuts = () =>
  proxy
    .writes()
    .filter((r) => r.method === 'PUT' && r.path.includes('/manifests/') && !r.path.endsWith('.inputs'))
    .map((r) => r.path.split('/')[3]);

it('does not push an image whose tag another run pushed since the plan', async () => {
  const { prefix, args } = freshPrefix();
  const context = await loadContext({ cwd: repo.root, env: { ...process.env, CI: '', MZBUILD_CACHE_DIR: CACHE_DIR }, flags: { registry: REGISTRY, imagePrefix: prefix } });
  try {
    const plan = await planPublish(context, context.repository.images);
    expect(plan.entries.map((e) => `${e.name} ${e.action}`)).toEqual(['base push', 'app push']);
    // Another machine publishes both while this run has its plan.
    expect((await mzimageAsync(repo.root, ['ensure', '--all', ...args], { CI: '' })).status).toBe(0);
    proxy.clear();
    const lines: string[] = [];
    const outcomes = await publish(context, plan, { onLine: (source, line) => lines.push(`${source}: ${line}`) });
    expect(outcomes.map((o) => `${o.name} ${o.result}`)).toEqual(['base published', 'app published']);
    expect(proxy.writes()).toEqual([]);
    expect(lines).toContain(`base: ${plan.entries[0]!.references[0]} appeared in the registry since the plan (another run pushed it): not pushing it again`);
  } finally {
    await context.close();
  }
}, 120_000);

it('pushes each tag once when two runs on one machine publish at once', async () => {
  const { prefix, args } = freshPrefix();
  proxy.clear();
  const runs = await Promise.all([0, 1].map(() => mzimageAsync(repo.root, ['ensure', '--all', ...args], { CI: '' })));
  expect(runs.map((run) => [run.status, run.status === 0 ? '' : run.stderr])).toEqual([
    [0, ''],
    [0, ''],
  ]);
  expect(manifestPuts().sort()).toEqual([`${prefix}app`, `${prefix}base`]);
  // Which run pushes which tag depends on who gets its lock first; between them, each is pushed once.
  const count = (what: string) => runs.reduce((n, run) => n + Number(new RegExp(`(\\d+) ${what}`).exec(run.stdout)?.[1]), 0);
  expect([count('pushed'), count('already published')]).toEqual([2, 2]);
}, 120_000);
