import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mzimage, mzimageAsync } from '../support/cli';
import { imageExists, removeImages, requireDocker, uniqueName } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { RegistryServer } from '../support/registry-server';
import { SecondEngine } from '../support/second-engine';

/**
 * DOCKER_HOST names the engine everything goes to: a second real engine beside the shared one
 * (its own data root, exec root, pidfile, socket). Images are built on it, found on it by the
 * next run, pushed from it; the shared engine sees none of them. base ← app.
 */
let engine: SecondEngine;
let registry: RegistryServer;
let repo: GitRepo;
let env: NodeJS.ProcessEnv;
let args: string[];
let references: string[];

beforeAll(async () => {
  requireDocker();
  engine = await SecondEngine.start();
  registry = await RegistryServer.start();
  repo = new GitRepo();
  const salt = uniqueName('remote');
  repo.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /motd\n'),
    'images/base/motd': `${salt}\n`,
    ...image('images/app', 'app', 'MZFROM base\nCOPY app /app\n'),
    'images/app/app': 'app\n',
  });
  repo.commit();
  env = { CI: '', DOCKER_HOST: engine.host };
  args = ['--image-registry', `${registry.host}/remote`, '--image-prefix', `${salt}-`];
  references = JSON.parse(mzimage(repo.root, ['spec', '--all', '--json', ...args]).stdout).map((s: { reference: string }) => s.reference);
}, 90_000);
afterAll(async () => {
  removeImages(...(references ?? []));
  await engine?.stop();
  await registry?.stop();
  repo?.dispose();
}, 60_000);

it('builds on the engine of DOCKER_HOST, reuses what it has, pushes from it, and the default engine sees nothing', async () => {
  const built = await mzimageAsync(repo.root, ['acquire', '--all', ...args], env);
  expect([built.status, built.status === 0 ? '' : built.stderr]).toEqual([0, '']);
  expect(built.stdout).toMatch(/2 images: 2 built/);
  for (const reference of references) {
    expect(engine.docker('image', 'inspect', reference).status).toBe(0);
    expect(imageExists(reference)).toBe(false);
  }
  const again = await mzimageAsync(repo.root, ['acquire', '--all', ...args], env);
  expect(again.stdout).toMatch(/2 images: 0 built, 0 from the registry, 2 found locally/);

  const published = await mzimageAsync(repo.root, ['ensure', '--all', ...args], env);
  expect([published.status, published.status === 0 ? '' : published.stderr]).toEqual([0, '']);
  expect(published.stdout).toMatch(/2 pushed/);
  for (const reference of references) expect(imageExists(reference)).toBe(false);
}, 180_000);

it('says which engine it could not reach', async () => {
  const run = await mzimageAsync(repo.root, ['acquire', '--all', ...args], { ...env, DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/^mzimage: the Docker Engine at DOCKER_HOST=unix:\/\/\/nonexistent\/docker.sock is not reachable \(.*\); start dockerd, or run tools\/setup$/m);
  expect(run.stderr).not.toMatch(/\n\s+at /);
});

it('goes to the engine that DOCKER_CONTEXT or MZBUILD_DOCKER names, as to DOCKER_HOST', async () => {
  const actions = async (extra: NodeJS.ProcessEnv) => {
    const run = await mzimageAsync(repo.root, ['plan', '--all', '--json', ...args], { CI: '', ...extra });
    if (run.status !== 0) throw new Error(run.stderr);
    return (JSON.parse(run.stdout) as { action: string }[]).map((e) => e.action);
  };
  // The first test left both images on the second engine (and published them).
  expect(await actions({ DOCKER_HOST: engine.host })).toEqual(['local', 'local']);
  expect(await actions({})).toEqual(['registry', 'registry']);

  const config = mkdtempSync(join(tmpdir(), 'mzbuild-docker-context-'));
  const wrapper = join(config, 'docker-second');
  try {
    execFileSync('docker', ['--config', config, 'context', 'create', 'mz-second', '--docker', `host=${engine.host}`], { stdio: 'ignore' });
    expect(await actions({ DOCKER_CONFIG: config, DOCKER_CONTEXT: 'mz-second' })).toEqual(['local', 'local']);
    writeFileSync(wrapper, `#!/bin/sh\nexec docker -H '${engine.host}' "$@"\n`, { mode: 0o755 });
    expect(await actions({ MZBUILD_DOCKER: wrapper })).toEqual(['local', 'local']);
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}, 120_000);
