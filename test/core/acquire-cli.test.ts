import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mzimage } from '../support/cli';
import { requireDocker } from '../support/docker';
import { GitRepo, image } from '../support/git-repo';
import { pushImage, RegistryServer } from '../support/registry-server';

/** `mzimage plan` against a real registry that requires Basic auth (htpasswd). */
let registry: RegistryServer;
let repo: GitRepo;
let dockerConfig: string;
const USER = 'ci-bot';
const PASSWORD = 's3cret-pa55word';

beforeAll(async () => {
  requireDocker();
  registry = await RegistryServer.start({ auth: { htpasswd: { username: USER, password: PASSWORD } } });
  repo = new GitRepo();
  repo.write({ ...image('images/base', 'base'), ...image('images/app', 'app', 'MZFROM base\n') });
  repo.commit();
  dockerConfig = mkdtempSync(join(tmpdir(), 'mzbuild-docker-config-'));
  const auth = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
  writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [registry.host]: { auth } } }));
  // base is in the registry, under the reference mzimage computes for it.
  const reference = mzimage(repo.root, ['spec', 'base', '--image-registry', `${registry.host}/team`]).stdout.trim();
  const [, repository, tag] = /^[^/]+\/(.+):(.+)$/.exec(reference)!;
  await pushImage(registry.host, repository!, tag!, { authorization: `Basic ${auth}` });
});
afterAll(async () => {
  await registry?.stop();
  repo?.dispose();
  rmSync(dockerConfig, { recursive: true, force: true });
});

/** Not in CI (where a missing publishable image is an error, tested below), unless env says so. */
const plan = (env: NodeJS.ProcessEnv) =>
  mzimage(repo.root, ['plan', '--all', '--json', '--image-registry', `${registry.host}/team`], { HOME: dockerConfig, CI: '', ...env });

it('finds an image in a registry that requires auth, with credentials from a docker config file', () => {
  const result = plan({ DOCKER_CONFIG: dockerConfig });
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout).map((e: { name: string; action: string }) => [e.name, e.action])).toEqual([
    ['base', 'registry'],
    ['app', 'build'],
  ]);
  expect(result.stderr).toBe('');
});

it('without credentials, plans builds and says once what is missing, never showing a secret', () => {
  // Its own cache directory: the first test taught the default one that base exists.
  const result = plan({ DOCKER_CONFIG: join(dockerConfig, 'none'), MZBUILD_CACHE_DIR: join(dockerConfig, 'cache') });
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout).map((e: { action: string }) => e.action)).toEqual(['build', 'build']);
  const warnings = result.stderr.split('\n').filter((line) => line.includes('warning'));
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain(registry.host);
  expect(warnings[0]).toMatch(/credentials|docker login/);
  expect(result.stderr).not.toContain(PASSWORD);
});

it('in CI, refuses to plan a build of a publishable image the registry lacks, unless local builds are allowed', () => {
  const refused = plan({ DOCKER_CONFIG: dockerConfig, CI: 'true', MZBUILD_ALLOW_LOCAL_BUILD: '' });
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/in CI, publishable images are expected in the registry, and this image is not: \S+\/team\/app:mzbuild-/);
  expect(JSON.parse(refused.stdout).map((e: { name: string; action: string }) => `${e.name} ${e.action}`)).toEqual(['base registry', 'app refused']);
  expect(refused.stderr).toContain('MZBUILD_ALLOW_LOCAL_BUILD=1');
  expect(plan({ DOCKER_CONFIG: dockerConfig, CI: 'true', MZBUILD_ALLOW_LOCAL_BUILD: '1' }).status).toBe(0);
});
