import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createAdopterWorkspace, packPackages, type AdopterWorkspace, type Tarballs } from '../../tools/adopter-workspace';
import { removeImages, requireDocker, uniqueName } from '../support/docker';
import { RegistryServer } from '../support/registry-server';
import { basicCredentials, TestResources } from '../support/resources';
import { workflowCommands } from '../support/workflow';

/**
 * What an adopter does, from `npm install` of the packed packages to a CI job that publishes:
 * a fresh Nx workspace outside this repository (tools/adopter-workspace.js) with the Nx this
 * repository uses, on the Node that runs the tests; `nx add` and the init generator; a Cargo
 * workspace; the image generator for base (FROM scratch), app (on base) and hello (a Rust binary,
 * on base); docker-build as a developer; then, as CI would, publish to a registry that requires
 * htpasswd auth, with credentials only from `docker login`: everything, then what a commit
 * affects, then a multi-arch `latest` tag; then signed, with a key `mzimage keygen` wrote and
 * `trustedKeys` in nx.json, and a tag planted without the key. Real nx, npm, cargo, docker and
 * registry throughout.
 */
const res = new TestResources();
const USER = 'ci';
const PASSWORD = `pw-${uniqueName('secret')}`;
const SIGNING_PASSWORD = `pw-${uniqueName('signing')}`;
const NAMESPACE = uniqueName('adopter');
const SLOW = 600_000;
const INDEX = 'application/vnd.oci.image.index.v1+json';
const ACCEPT = [INDEX, 'application/vnd.oci.image.manifest.v1+json', 'application/vnd.docker.distribution.manifest.v2+json'].join(', ');

let registry: RegistryServer;
let ws: AdopterWorkspace;
let tarballs: Tarballs;
let REGISTRY: string;
/** DOCKER_CONFIG of the developer (no credentials) and of the CI job (docker login). */
let devDocker: string;
let ciDocker: string;
/** Every nx output of the file, to look for the password in. */
const outputs: string[] = [];

beforeAll(async () => {
  requireDocker();
  res.open('mzbuild-adopter-');
  registry = await res.started(RegistryServer.start({ auth: { htpasswd: { username: USER, password: PASSWORD } } }));
  REGISTRY = `${registry.host}/${NAMESPACE}`;
  devDocker = join(res.dir, 'docker-dev');
  ciDocker = join(res.dir, 'docker-ci');
  mkdirSync(devDocker);
  mkdirSync(ciDocker);
  tarballs = packPackages(join(res.dir, 'packs'));
  ws = createAdopterWorkspace(join(res.dir, 'workspace'), {
    tarballs,
    add: false,
    env: { DOCKER_CONFIG: devDocker, CARGO_NET_OFFLINE: 'true' },
  });
  outputs.push(ws.addPlugin(tarballs.nx));
}, SLOW);

afterAll(async () => {
  const listed = spawnSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout ?? '';
  if (registry) removeImages(...listed.split('\n').filter((ref) => ref.startsWith(`${REGISTRY}/`)));
  await res.close();
});

/** nx in the workspace, its output kept; fails with the output when nx fails. */
function nx(args: string[], env: Record<string, string> = {}): string {
  const result = ws.nx(args, env);
  const output = result.stdout + result.stderr;
  outputs.push(output);
  if (result.status !== 0) throw new Error(`nx ${args.join(' ')} failed (${result.status ?? result.signal}):\n${output}`);
  return output;
}

type Results = Record<string, { result: string; reference: string }>;
const RESULT = /^ {2}(base|app|hello) +(local|pulled|in registry|built|failed|skipped|published|pushed|copied|not published)(?: in [\d.]+ s)? +(\S+?),?(?: \(signed [^)]*\))?$/gm;
const TELLING = ['failed', 'skipped', 'built', 'pushed', 'copied', 'pulled', 'in registry', 'published', 'local', 'not published'];

/** Each image's line in the summaries of a run; where several summaries name it, the most telling wins. */
function results(output: string): Results {
  const found: Results = {};
  for (const [, name, result, reference] of output.matchAll(RESULT)) {
    const previous = found[name!];
    if (!previous || TELLING.indexOf(result!) < TELLING.indexOf(previous.result)) found[name!] = { result: result!, reference: reference! };
  }
  return found;
}

const resultsOnly = (found: Results) => Object.fromEntries(Object.entries(found).map(([name, r]) => [name, r.result]));

function registryFetch(path: string, init: { method?: string } = {}): Promise<Response> {
  return fetch(`http://${registry.host}/v2/${path}`, {
    ...init,
    headers: { authorization: `Basic ${basicCredentials(USER, PASSWORD)}`, accept: ACCEPT },
  });
}

/**
 * The image tags of a repository: each fingerprint tag, checked to have its inputs record
 * (`<tag>.inputs`) beside it, as publishing writes one for every image.
 */
async function tags(name: string): Promise<string[]> {
  const response = await registryFetch(`${NAMESPACE}/${name}/tags/list`);
  if (response.status === 404) return [];
  expect(response.status).toBe(200);
  const all = ((await response.json()) as { tags: string[] | null }).tags ?? [];
  const images = all.filter((tag) => !tag.endsWith('.inputs')).sort();
  expect(all.filter((tag) => tag.endsWith('.inputs')).sort()).toEqual(images.filter((tag) => tag.startsWith('mzbuild-')).map((tag) => `${tag}.inputs`));
  return images;
}

async function manifest(name: string, tag: string): Promise<{ digest: string; body: { mediaType?: string; manifests?: { digest: string; platform: { os: string; architecture: string } }[] } }> {
  const response = await registryFetch(`${NAMESPACE}/${name}/manifests/${tag}`);
  expect(`${name}:${tag} ${response.status}`).toBe(`${name}:${tag} 200`);
  return { digest: response.headers.get('docker-content-digest')!, body: (await response.json()) as never };
}

const tagOf = (reference: string) => reference.slice(reference.lastIndexOf(':') + 1);

let built: Results;

it('the packages install as an adopter gets them: README and LICENSE in each, a working mzimage', () => {
  for (const tarball of [tarballs.core, tarballs.nx]) {
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/README.md', 'package/LICENSE', 'package/package.json']));
  }
  const version = JSON.parse(ws.read('node_modules/@mzbuild/core/package.json')).version as string;
  expect(ws.exec(ws.path('node_modules/.bin/mzimage'), ['--version']).stdout.trim()).toBe(`mzimage ${version}`);
});

it('init registers the registry and adds the optimized profile to Cargo.toml', () => {
  ws.write({
    'Cargo.toml': '[workspace]\nmembers = ["crates/hello"]\nresolver = "2"\n',
    'crates/hello/Cargo.toml': '[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n',
    'crates/hello/src/main.rs': 'fn main() {\n    println!("hello from an adopter");\n}\n',
    // Static linking, so that the binary runs in an image built FROM scratch.
    '.cargo/config.toml': '[target.x86_64-unknown-linux-gnu]\nrustflags = ["-C", "target-feature=+crt-static"]\n',
  });
  ws.exec('cargo', ['generate-lockfile', '--offline']);
  nx(['g', '@mzbuild/nx:init', `--registry=${REGISTRY}`]);

  const plugins = JSON.parse(ws.read('nx.json')).plugins as { plugin: string; options?: Record<string, unknown> }[];
  expect(plugins.filter((p) => p.plugin === '@mzbuild/nx')).toEqual([{ plugin: '@mzbuild/nx', options: { registry: REGISTRY } }]);
  expect(ws.read('Cargo.toml')).toMatch(/^\[profile\.optimized\]\ninherits = "release"$/m);
}, SLOW);

it('the image generator scaffolds a base, an image on it and a Rust image', () => {
  nx(['g', '@mzbuild/nx:image', 'images/base']);
  nx(['g', '@mzbuild/nx:image', 'images/app', '--base=base']);
  nx(['g', '@mzbuild/nx:image', 'images/hello', '--bin=hello', '--base=base']);
  expect(ws.read('images/base/Dockerfile')).toMatch(/^FROM scratch$/m);
  expect(ws.read('images/app/Dockerfile')).toMatch(/^MZFROM base$/m);
  expect(ws.read('images/hello/Dockerfile')).toMatch(/^MZFROM base$/m);
  expect(ws.read('images/hello/mzbuild.yml')).toMatch(/bin: hello/);
  ws.commit('images');
  expect(nx(['show', 'projects']).split('\n').filter((line) => line !== '').sort()).toEqual(['app', 'base', 'hello']);
}, SLOW);

it('docker-build builds every image once, and the Rust image runs', () => {
  built = results(nx(['run-many', '-t', 'docker-build', '--output-style=static']));
  expect(resultsOnly(built)).toEqual({ base: 'built', app: 'built', hello: 'built' });
  expect(resultsOnly(results(nx(['run-many', '-t', 'docker-build', '--output-style=static'])))).toEqual({ base: 'local', app: 'local', hello: 'local' });
  expect(execFileSync('docker', ['run', '--rm', built['hello']!.reference], { encoding: 'utf8' })).toBe('hello from an adopter\n');
}, SLOW);

describe('in CI, with credentials from docker login alone', () => {
  const CI = () => ({ CI: 'true', DOCKER_CONFIG: ciDocker });

  beforeAll(() => {
    execFileSync('docker', ['--config', ciDocker, 'login', registry.host, '--username', USER, '--password-stdin'], { input: PASSWORD, encoding: 'utf8' });
  });

  it('publish pushes every image', async () => {
    const published = results(nx(['run-many', '-t', 'publish', '--output-style=static'], CI()));
    expect(resultsOnly(published)).toEqual({ base: 'pushed', app: 'pushed', hello: 'pushed' });
    for (const name of ['base', 'app', 'hello']) {
      expect(published[name]!.reference).toBe(built[name]!.reference);
      expect(await tags(name)).toEqual([tagOf(built[name]!.reference)]);
    }
  }, SLOW);

  it('after a commit to the crate, nx affected publishes exactly the Rust image', async () => {
    ws.write({ 'crates/hello/src/main.rs': 'fn main() {\n    println!("hello again");\n}\n' });
    ws.commit('hello says hello again');
    const affected = results(nx(['affected', '-t', 'publish', '--base=HEAD~1', '--head=HEAD', '--output-style=static'], CI()));
    // base is there as what hello builds on, already published; app is not affected.
    expect(resultsOnly(affected)).toEqual({ base: 'published', hello: 'pushed' });
    const hello = affected['hello']!.reference;
    expect(hello).not.toBe(built['hello']!.reference);
    expect((await tags('hello')).sort()).toEqual([tagOf(built['hello']!.reference), tagOf(hello)].sort());
    expect(await tags('base')).toEqual([tagOf(built['base']!.reference)]);
    expect(await tags('app')).toEqual([tagOf(built['app']!.reference)]);
    expect(execFileSync('docker', ['run', '--rm', hello], { encoding: 'utf8' })).toBe('hello again\n');
  }, SLOW);

  it('publish --tag=latest on a batch writes an index of both architectures for each image', async () => {
    const projects = '--projects=base,app';
    const arm = results(nx(['run-many', '-t', 'publish', projects, '--output-style=static'], { ...CI(), MZBUILD_ARCH: 'aarch64' }));
    expect(resultsOnly(arm)).toEqual({ base: 'pushed', app: 'pushed' });

    nx(['run-many', '-t', 'publish', projects, '--tag=latest', '--output-style=static'], CI());
    for (const name of ['base', 'app']) {
      const index = await manifest(name, 'latest');
      expect(index.body.mediaType).toBe(INDEX);
      const platforms = Object.fromEntries(index.body.manifests!.map((m) => [`${m.platform.os}/${m.platform.architecture}`, m.digest]));
      expect(platforms).toEqual({
        'linux/amd64': (await manifest(name, tagOf(built[name]!.reference))).digest,
        'linux/arm64': (await manifest(name, tagOf(arm[name]!.reference))).digest,
      });
    }
  }, SLOW);

  it('runs the workflow the README shows, for a change to an image without Rust: a publish job per architecture, then the multi-arch join', async () => {
    const workflow = workflowCommands();
    expect(workflow.arches).toEqual(['x86_64', 'aarch64']);
    ws.write({ 'images/app/Dockerfile': `${readFileSync(join(ws.root, 'images/app/Dockerfile'), 'utf8')}# app changes\n` });
    ws.commit('app changes');
    // What nrwl/nx-set-shas gives the jobs: the commits nx affected compares.
    const job = { ...CI(), NX_BASE: 'HEAD~1', NX_HEAD: 'HEAD' };
    const pushed: Record<string, string> = {};
    for (const arch of workflow.arches) {
      for (const command of workflow.publish) {
        const run = results(nx([...command, '--output-style=static'], { ...job, MZBUILD_ARCH: arch }));
        expect(run['app']!.result).toBe('pushed');
        pushed[arch] = run['app']!.reference;
      }
    }
    for (const command of workflow.multiarch) nx([...command, '--output-style=static'], job);
    const index = await manifest('app', 'unstable');
    expect(index.body.mediaType).toBe(INDEX);
    const platforms = Object.fromEntries(index.body.manifests!.map((m) => [`${m.platform.os}/${m.platform.architecture}`, m.digest]));
    expect(platforms).toEqual({
      'linux/amd64': (await manifest('app', tagOf(pushed['x86_64']!))).digest,
      'linux/arm64': (await manifest('app', tagOf(pushed['aarch64']!))).digest,
    });
    // base ran only as what app builds on: its task had no tag.
    expect(await tags('base')).not.toContain('unstable');
  }, SLOW);
});

describe('signed, as the README has it: main signs with the key mzimage keygen wrote, and only what it signed is used', () => {
  const CI = () => ({ CI: 'true', DOCKER_CONFIG: ciDocker });
  /** The CI secrets: the key stays outside the repository; its .pub is committed. */
  const signing = () => ({ MZBUILD_SIGNING_KEY: join(res.dir, 'ci.key'), MZBUILD_SIGNING_KEY_PASSWORD: SIGNING_PASSWORD });
  let app: string;

  it('keygen writes the pair; publish with it signs what was published unsigned; then with trustedKeys in nx.json, publish finds it all signed', async () => {
    const keygen = ws.exec(ws.path('node_modules/.bin/mzimage'), ['keygen', '--output', join(res.dir, 'ci')], { env: { MZBUILD_SIGNING_KEY_PASSWORD: SIGNING_PASSWORD } });
    outputs.push(keygen.stdout + keygen.stderr);
    expect(statSync(join(res.dir, 'ci.key')).mode & 0o777).toBe(0o600);

    // The README's way to turn signing on for a registry that has images: sign what is there first.
    const published = results(nx(['run-many', '-t', 'publish', '--output-style=static'], { ...CI(), ...signing() }));
    expect(resultsOnly(published)).toEqual({ base: 'published', app: 'published', hello: 'published' });
    for (const name of ['base', 'app', 'hello']) {
      const { digest } = await manifest(name, tagOf(published[name]!.reference));
      expect((await manifest(name, `${digest.replace(':', '-')}.sig`)).body).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    }
    app = published['app']!.reference;

    mkdirSync(ws.path('keys'));
    copyFileSync(join(res.dir, 'ci.pub'), ws.path('keys/ci.pub'));
    const nxJson = JSON.parse(ws.read('nx.json')) as { plugins: ({ plugin: string; options?: Record<string, unknown> } | string)[] };
    const entry = nxJson.plugins.find((p) => typeof p === 'object' && p.plugin === '@mzbuild/nx') as { options: Record<string, unknown> };
    entry.options['trustedKeys'] = ['keys/ci.pub'];
    ws.write({ 'nx.json': `${JSON.stringify(nxJson, null, 2)}\n` });
    ws.commit('trust the CI key');
    // Signed once: publishing again, now holding tags to the key, finds every one signed and writes nothing.
    const again = nx(['run-many', '-t', 'publish', '--output-style=static', '--skip-nx-cache'], { ...CI(), ...signing() });
    expect(resultsOnly(results(again))).toEqual({ base: 'published', app: 'published', hello: 'published' });
  }, SLOW);

  it('a tag planted without the key is not used: docker-build in CI refuses it, and with local builds allowed builds the image instead', () => {
    const docker = (...args: string[]) => execFileSync('docker', ['--config', ciDocker, ...args], { encoding: 'utf8', input: '' });
    execFileSync('docker', ['build', '--quiet', '--tag', app, '-'], { input: 'FROM scratch\nLABEL planted=yes\n', encoding: 'utf8' });
    docker('push', '--quiet', app);
    removeImages(app);

    const refused = ws.nx(['run-many', '-t', 'docker-build', '--projects=app', '--output-style=static'], CI());
    outputs.push(refused.stdout + refused.stderr);
    expect(refused.status).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(`${app}: in CI, the registry's image is not signed by a trusted key`);

    const built = results(nx(['run-many', '-t', 'docker-build', '--projects=app', '--output-style=static'], { ...CI(), MZBUILD_ALLOW_LOCAL_BUILD: '1' }));
    expect(built['app']).toEqual({ result: 'built', reference: app });
    expect(execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', app], { encoding: 'utf8' })).not.toContain('planted');
  }, SLOW);
});

it('no nx output holds the registry password, nor the signing key’s', () => {
  expect(outputs.length).toBeGreaterThan(8);
  for (const output of outputs) {
    expect(output).not.toContain(SIGNING_PASSWORD);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(basicCredentials(USER, PASSWORD));
  }
});
