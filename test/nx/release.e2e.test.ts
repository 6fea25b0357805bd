import { mzimage } from '../support/cli';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { image } from '../support/git-repo';
import { NxWorkspace, plain } from '../support/nx-workspace';
import { readmeReleaseConfig } from '../support/readme';
import { LOOPBACK_REGISTRY, requireLoopbackRegistry } from '../support/registry';

/**
 * Publishing through Nx as a CI job does it, with the real engine and the loopback registry:
 * a run that publishes builds what is missing in CI, a task's own options hold in a batch, and
 * `nx release` moves version tags, also with `release.docker` configured. base ← app, FROM scratch.
 */
let ws: NxWorkspace;
const prefix = `${uniqueName('release')}-`;
const REGISTRY = `${LOOPBACK_REGISTRY}/mzbuild-e2e`;
/** A CI job as GitHub Actions runs one: CI set, local builds not allowed. */
const CI_ENV = { CI: 'true', MZBUILD_ALLOW_LOCAL_BUILD: '' };

beforeAll(async () => {
  requireDocker();
  await requireLoopbackRegistry();
  ws = new NxWorkspace({ registry: REGISTRY, imagePrefix: prefix });
  ws.write({
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /etc/motd\n'),
    'images/base/motd': 'welcome\n',
    ...image('images/app', 'app', 'MZFROM base\nCOPY app.txt /app.txt\n'),
    'images/app/app.txt': 'one\n',
  });
  ws.commit();
});
afterAll(() => {
  if (ws) for (const arch of ['x86_64', 'aarch64']) removeImages(...Object.values(references(arch)));
  ws?.dispose();
});

function references(arch = 'x86_64'): Record<string, string> {
  const specs = JSON.parse(mzimage(ws.root, ['spec', '--all', '--json', '--arch', arch]).stdout);
  return Object.fromEntries(specs.map((s: { name: string; reference: string }) => [s.name, s.reference]));
}

/** The manifest's media type under a tag of the image, or undefined when the registry has no such tag. */
async function manifestType(name: string, tag: string): Promise<string | undefined> {
  const response = await fetch(`http://${LOOPBACK_REGISTRY}/v2/mzbuild-e2e/${prefix}${name}/manifests/${tag}`, {
    headers: { accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  if (response.status === 404) return undefined;
  expect(response.status).toBe(200);
  return JSON.parse(await response.text()).mediaType;
}

it('in CI, a run that publishes builds what the registry lacks, docker-build tasks included', () => {
  const output = ws.nxOk(['run-many', '-t', 'docker-build', 'publish', '--output-style=static'], CI_ENV);
  expect(output).toMatch(/^ {2}base +built\b/m);
  expect(output).toMatch(/^ {2}app +built\b/m);
  expect(output).toMatch(/mzbuild: 2 pushed, 0 copied between registries, 0 already published/);
});

it('in CI, a run that only uses images fails the one the registry lacks, and only that one', () => {
  ws.write({ 'images/app/app.txt': 'two\n' }).commit('app changes');
  const run = ws.nx(['run-many', '-t', 'docker-build', '--output-style=static'], CI_ENV);
  const output = plain(run.stdout + run.stderr);
  expect(run.status).not.toBe(0);
  expect(output).toMatch(/in CI, publishable images are expected in the registry, and this image is not: \S+app:mzbuild-/);
  expect(output).toMatch(/^ {2}base +local\b/m);
  expect(output).toMatch(/Failed tasks:\s+- app:docker-build\s*$/m);
});

it('publishes without a docker-build task, and keeps the tag option of the one task given it', async () => {
  // Both architectures: an index joins them. FROM scratch images without RUN need no emulation.
  ws.nxOk(['run-many', '-t', 'publish', '--output-style=static'], CI_ENV);
  ws.nxOk(['run-many', '-t', 'publish', '--output-style=static'], { ...CI_ENV, MZBUILD_ARCH: 'aarch64' });

  // app:publish depends on base:publish: one batch of two tasks, and only app's has a tag.
  const output = ws.nxOk(['run', 'app:publish', '--tag=latest', '--output-style=static'], CI_ENV);
  expect(output).not.toMatch(/docker-build/);
  expect(await manifestType('app', 'latest')).toBe('application/vnd.oci.image.index.v1+json');
  expect(await manifestType('base', 'latest')).toBeUndefined();
});

describe('nx release, configured as the README shows', () => {
  const release = readmeReleaseConfig();

  it('with --dry-run checks and writes nothing; then tags every image v<version>', async () => {
    ws.setNxJson({ release });
    const dry = ws.nxOk(['release', '1.2.3', '--first-release', '--yes', '--dry-run'], CI_ENV);
    expect(plain(dry)).toMatch(/app: would write the index \S+app:v1\.2\.3 \(dry run: nothing written\)/);
    expect(await manifestType('app', 'v1.2.3')).toBeUndefined();

    const real = ws.nxOk(['release', '1.2.3', '--first-release', '--yes'], CI_ENV);
    expect(ws.git('tag', '--list').split('\n')).toContain('v1.2.3');
    expect(plain(real)).toMatch(/app: wrote the index \S+app:v1\.2\.3/);
    expect(await manifestType('app', 'v1.2.3')).toBe('application/vnd.oci.image.index.v1+json');
    expect(await manifestType('base', 'v1.2.3')).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('is not broken by release.docker, which takes no image project for one of @nx/docker', async () => {
    ws.setNxJson({ release: { ...release, docker: { preVersionCommand: 'true' } } });
    const output = ws.nxOk(['release', '1.2.4', '--yes'], CI_ENV);
    expect(output).not.toMatch(/@nx\/docker|docker tag/);
    expect(await manifestType('app', 'v1.2.4')).toBe('application/vnd.oci.image.index.v1+json');
  });

  it('refuses to move a version tag that exists, and says so', async () => {
    ws.setNxJson({ release });
    ws.git('tag', '-d', 'v1.2.3');
    const run = ws.nx(['release', '1.2.3', '--yes', '--first-release'], CI_ENV);
    expect(run.status).not.toBe(0);
    expect(plain(run.stdout + run.stderr)).toMatch(/version tags are never moved, and these exist: \S+:v1\.2\.3/);
  });
});
