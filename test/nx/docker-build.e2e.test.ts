import { execFileSync } from 'node:child_process';
import { mzimage } from '../support/cli';
import { imageExists, removeImages, requireDocker, uniqueName } from '../support/docker';
import { cargoWorkspace, crate, image, lockfile } from '../support/git-repo';
import { NxWorkspace } from '../support/nx-workspace';
import { dockerPush, LOOPBACK_REGISTRY, requireLoopbackRegistry } from '../support/registry';
import { freePort } from '../support/registry-server';

/**
 * docker-build in a real Nx workspace, with the real engine and the loopback registry:
 * base (FROM scratch) ← hello (a Rust binary from a cargo-build pre-image) ← app.
 */
let ws: NxWorkspace;
const prefix = `${uniqueName('e2e')}-`;
const REGISTRY = `${LOOPBACK_REGISTRY}/mzbuild-e2e`;
const BUILD_ENV = { MZBUILD_ALLOW_LOCAL_BUILD: '1', CARGO_NET_OFFLINE: 'true' };

beforeAll(async () => {
  requireDocker();
  await requireLoopbackRegistry();
  ws = new NxWorkspace({ registry: REGISTRY, imagePrefix: prefix });
  ws.write({
    ...cargoWorkspace(['crates/hello'], '[profile.optimized]\ninherits = "release"\n'),
    '.cargo/config.toml': '[target.x86_64-unknown-linux-gnu]\nrustflags = ["-C", "target-feature=+crt-static"]\n',
    ...crate('crates/hello', 'hello', '', { 'src/main.rs': 'fn main() { println!("hello from e2e"); }\n' }),
    ...image('images/base', 'base', 'FROM scratch\nCOPY motd /etc/motd\n'),
    'images/base/motd': 'welcome\n',
    ...image('images/hello', 'hello', 'MZFROM base\nCOPY hello /hello\nENTRYPOINT ["/hello"]\n', 'pre-image:\n  - type: cargo-build\n    bin: hello\n'),
    'images/hello/.gitignore': '/hello\n',
    ...image('images/app', 'app', 'MZFROM hello\n'),
  });
  lockfile(ws);
  ws.commit();
});
afterAll(() => {
  if (ws) removeImages(...Object.values(references()));
  ws?.dispose();
});

/** The images' references as mzimage computes them now. */
function references(registry = REGISTRY): Record<string, string> {
  const specs = JSON.parse(mzimage(ws.root, ['spec', '--all', '--json', '--image-registry', registry, '--image-prefix', prefix]).stdout);
  return Object.fromEntries(specs.map((s: { name: string; reference: string }) => [s.name, s.reference]));
}

/** Each image's result in the summaries of a docker-build run. */
function dockerBuild(args: string[] = [], env: NodeJS.ProcessEnv = {}): { results: Record<string, string>; output: string } {
  const run = ws.nx(['run-many', '-t', 'docker-build', '--output-style=static', ...args], { ...BUILD_ENV, ...env });
  const output = run.stdout + run.stderr;
  if (run.status !== 0) throw new Error(`nx run-many -t docker-build failed:\n${output}`);
  const results: Record<string, string> = {};
  for (const match of output.matchAll(/^ {2}(base|hello|app) +(local|pulled|in registry|built|failed|skipped)\b/gm)) {
    // Several tasks print summaries; an image's most telling result wins (built over local).
    const previous = results[match[1]!];
    if (!previous || previous === 'local') results[match[1]!] = match[2]!;
  }
  return { results, output };
}

it('builds all three images the first time, and none the second', () => {
  const first = dockerBuild();
  expect(first.results).toEqual({ base: 'built', hello: 'built', app: 'built' });
  const refs = references();
  for (const reference of Object.values(refs)) expect(imageExists(reference)).toBe(true);
  expect(execFileSync('docker', ['run', '--rm', refs['hello']!], { encoding: 'utf8' })).toBe('hello from e2e\n');

  expect(dockerBuild().results).toEqual({ base: 'local', hello: 'local', app: 'local' });
});

it('pulls images that only the registry has, and with pull: false only checks them', () => {
  const refs = references();
  for (const reference of Object.values(refs)) dockerPush(reference);
  removeImages(...Object.values(refs));

  expect(dockerBuild(['--pull=false']).results).toEqual({ base: 'in registry', hello: 'in registry', app: 'in registry' });
  for (const reference of Object.values(refs)) expect(imageExists(reference)).toBe(false);

  expect(dockerBuild().results).toEqual({ base: 'pulled', hello: 'pulled', app: 'pulled' });
  for (const reference of Object.values(refs)) expect(imageExists(reference)).toBe(true);
});

it('rebuilds exactly the images that use a changed crate file', () => {
  ws.write({ 'crates/hello/src/main.rs': 'fn main() { println!("hello again"); }\n' });
  const { results } = dockerBuild();
  expect(results).toEqual({ base: 'local', hello: 'built', app: 'built' });
  expect(execFileSync('docker', ['run', '--rm', references()['hello']!], { encoding: 'utf8' })).toBe('hello again\n');
});

it('builds locally, with one warning, when the registry cannot be reached', async () => {
  const unreachable = `127.0.0.1:${await freePort()}/nowhere`;
  ws.write({ 'images/base/motd': `welcome ${Date.now()}\n` }); // new fingerprints: nothing is local
  const { results, output } = dockerBuild([], { MZBUILD_REGISTRY: unreachable });
  expect(results).toEqual({ base: 'built', hello: 'built', app: 'built' });
  expect(output.match(/could not be reached/g)).toHaveLength(1);
  removeImages(...Object.values(references(unreachable)));
});

it('publishes with the publish target, and a second publish has nothing to do', () => {
  ws.write({ 'images/base/motd': `publish ${Date.now()}\n` }); // fingerprints no registry has
  const publish = () => {
    const run = ws.nx(['run-many', '-t', 'publish', '--output-style=static'], BUILD_ENV);
    if (run.status !== 0) throw new Error(`nx run-many -t publish failed:\n${run.stdout}${run.stderr}`);
    return run.stdout;
  };
  expect(publish()).toMatch(/mzbuild: 3 pushed, 0 copied between registries, 0 already published/);
  expect(publish()).toMatch(/mzbuild: 0 pushed, 0 copied between registries, 3 already published/);
});
