// --builder NAME (MZBUILD_BUILDER): a buildx builder that loads builds with --load; one of the
// remote driver, which cannot load into an engine, builds with --push straight to the registry,
// and what it pushed counts as published. Debian packages no buildx: the client is a stand-in
// (test/support/buildx-stand-in.js) in front of the real docker, engine and registry.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mzimageAsync } from '../support/cli';
import { imageExists, removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';

let registry: RegistryServer;
let repo: GitRepo;
let scratch: string;
let env: NodeJS.ProcessEnv;
let args: string[];
const references: string[] = [];

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start();
  repo = new GitRepo();
  const salt = uniqueName('buildx');
  repo.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'),
    'images/base/motd': `${salt}\n`,
    ...image('images/app', 'app', 'MZFROM base\nCOPY app /app\n'),
    'images/app/app': 'app\n',
  });
  repo.commit();
  scratch = mkdtempSync(join(tmpdir(), 'mzbuild-buildx-'));
  env = { CI: '', MZBUILD_DOCKER: join(__dirname, '../support/buildx-stand-in.js'), SHIM_LOG: join(scratch, 'calls') };
  args = ['--image-registry', `${registry.host}/bx`, '--image-prefix', `${salt}-`];
}, 90_000);
afterAll(async () => {
  removeImages(...references);
  await registry?.stop();
  repo?.dispose();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const calls = (): string[][] => readFileSync(env['SHIM_LOG']!, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
const clearCalls = () => writeFileSync(env['SHIM_LOG']!, '');
const mzimage = async (argv: string[], extra: NodeJS.ProcessEnv = {}) => {
  const run = await mzimageAsync(repo.root, [...argv, ...args], { ...env, ...extra });
  return { ...run, output: `${run.stdout}${run.stderr}` };
};
const present = async (reference: string) => {
  const [, repository, tag] = /^[^/]+\/(.+):(.+)$/.exec(reference)!;
  return (await fetch(`http://${registry.host}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } })).status === 200;
};

it('with a builder of the remote driver, builds with --push: the images are in the registry, not the engine, and published', async () => {
  clearCalls();
  const built = await mzimage(['acquire', '--all', '--builder', 'remote-x']);
  expect([built.status, built.status === 0 ? '' : built.output]).toEqual([0, '']);
  expect(built.stdout).toMatch(/built in [\d.]+ s +\S+ \(pushed by the builder\)/);
  const specs = JSON.parse((await mzimage(['spec', '--all', '--json'])).stdout) as { name: string; reference: string }[];
  references.push(...specs.map((s) => s.reference));
  for (const reference of references) expect(await present(reference)).toBe(true);
  // Not app's base: the stand-in's classic builder pulls what app is built FROM into the engine.
  expect(imageExists(specs.find((s) => s.name === 'app')!.reference)).toBe(false);
  const builds = calls().filter((call) => call[0] === 'buildx' && call[1] === 'build');
  expect(builds).toHaveLength(2);
  for (const build of builds) expect(build.slice(0, 5)).toEqual(['buildx', 'build', '--builder', 'remote-x', '--push']);

  clearCalls();
  const published = await mzimage(['ensure', '--all', '--builder', 'remote-x']);
  expect([published.status, published.status === 0 ? '' : published.output]).toEqual([0, '']);
  expect(published.stdout).toMatch(/0 pushed, 0 copied between registries, 2 already published/);
  expect(calls().filter((call) => call[0] === 'buildx' && call[1] === 'build')).toEqual([]);
}, 180_000);

it('publishing an image such a builder built pushes nothing from the engine', async () => {
  repo.write({ 'images/app/app': 'app, again\n' });
  clearCalls();
  const run = await mzimage(['ensure', 'app', '--builder', 'remote-x']);
  expect([run.status, run.status === 0 ? '' : run.output]).toEqual([0, '']);
  expect(run.stdout).toMatch(/1 pushed/);
  expect(calls().some((call) => call[0] === 'push')).toBe(false);
  const [app] = JSON.parse((await mzimage(['spec', 'app', '--json'])).stdout) as { reference: string }[];
  references.push(app!.reference);
  expect(await present(app!.reference)).toBe(true);
}, 180_000);

it('with a builder that loads, builds with --load into the engine', async () => {
  repo.write({ 'images/base/motd': 'loaded\n' });
  clearCalls();
  const run = await mzimage(['acquire', 'base', '--builder', 'container-x']);
  expect([run.status, run.status === 0 ? '' : run.output]).toEqual([0, '']);
  expect(calls().find((call) => call[1] === 'build')!.slice(0, 5)).toEqual(['buildx', 'build', '--builder', 'container-x', '--load']);
  const [base] = JSON.parse((await mzimage(['spec', 'base', '--json'])).stdout) as { reference: string }[];
  references.push(base!.reference);
  expect(imageExists(base!.reference)).toBe(true);
}, 180_000);

it('says what is wrong with a builder that is not there, or one that cannot load and has no registry to push to', async () => {
  repo.write({ 'images/base/motd': 'not built yet\n' });
  const missing = await mzimage(['acquire', 'base', '--builder', 'nope']);
  expect(missing.status).toBe(1);
  expect(missing.output).toMatch(/docker buildx has no builder nope \(ERROR: no builder "nope" found\); create it \(docker buildx create --name nope …\)/);
  repo.write({ 'images/base/motd': 'nowhere\n' });
  const run = await mzimageAsync(repo.root, ['acquire', 'base', '--builder', 'remote-x'], env);
  expect(run.status).toBe(1);
  expect(run.stdout + run.stderr).toMatch(/builder remote-x \(driver remote\) cannot load images into an engine, only push them to a registry as it builds them: set the registry to push to/);
  expect(run.stdout + run.stderr).not.toMatch(/\n\s+at /);
}, 120_000);
