import { loadContext, type MzbuildContext } from '../../packages/core/src';
import { isVersionTag, publishMultiArch, type IndexRegistry } from '../../packages/core/src/publish/multiarch';
import { GitRepo, image } from '../support/git-repo';

/**
 * The decisions of publish-multiarch (what is written where, what is refused), with a recording
 * stand-in for the registry; the registry side is tested for real in publish.e2e.test.ts.
 */
let repo: GitRepo;
let context: MzbuildContext;

beforeAll(async () => {
  repo = new GitRepo();
  repo.write({
    ...image('images/server', 'server'),
    ...image('images/cli', 'cli', 'FROM scratch\n', 'mainline: false\n'),
    ...image('images/local', 'local', 'FROM scratch\n', 'publish: false\n'),
  });
  repo.commit();
  context = await loadContext({ cwd: repo.root, env: {}, pluginOptions: { registry: 'reg.example/team', mirrors: ['mirror.example/m'] } });
});
afterAll(() => repo.dispose());

function registry(options: { absent?: RegExp; taken?: RegExp } = {}) {
  const written: { target: string; sources: { platform: { architecture: string }; reference: string }[] }[] = [];
  const fake: IndexRegistry = {
    checkExistence: async (references) => new Map(references.map((r) => [r, options.absent?.test(r) ? 'absent' : 'present'])),
    tagExists: async (reference) => options.taken?.test(reference) ?? false,
    createIndex: async (target, sources) => {
      written.push({ target, sources });
      return 'sha256:0';
    },
  };
  return { fake, written };
}

it('writes an index of both architectures in the registry and every mirror; unpublished images get none', async () => {
  const { fake, written } = registry();
  const results = await publishMultiArch(context, context.repository.images, 'latest', fake);
  expect(written.map((w) => w.target).sort()).toEqual([
    'mirror.example/m/cli:latest',
    'mirror.example/m/server:latest',
    'reg.example/team/cli:latest',
    'reg.example/team/server:latest',
  ]);
  const server = written.find((w) => w.target === 'reg.example/team/server:latest')!;
  expect(server.sources.map((s) => s.platform.architecture)).toEqual(['amd64', 'arm64']);
  expect(server.sources[0]!.reference).toMatch(/^reg\.example\/team\/server:mzbuild-[A-Z2-7]{32}$/);
  expect(server.sources[0]!.reference).not.toBe(server.sources[1]!.reference);
  expect(results.find((r) => r.name === 'local')!.skipped).toMatch(/publish: false/);
});

it('gives images with mainline: false no version tags', async () => {
  const { fake, written } = registry();
  const results = await publishMultiArch(context, context.repository.images, 'v2.0.0--main.g1234abc', fake);
  expect(written.map((w) => w.target)).not.toContainEqual(expect.stringContaining('/cli:'));
  expect(results.find((r) => r.name === 'cli')!.skipped).toMatch(/mainline: false/);
});

it('refuses a version tag that exists, writing nothing, unless forced', async () => {
  const taken = registry({ taken: /mirror\.example\/m\/server:v1\.0\.0$/ });
  await expect(publishMultiArch(context, context.repository.images, 'v1.0.0', taken.fake)).rejects.toThrow(
    'no index was written: version tags are never moved, and these exist: mirror.example/m/server:v1.0.0 (pass --force to move them anyway)',
  );
  expect(taken.written).toEqual([]);
  await publishMultiArch(context, context.repository.images, 'v1.0.0', taken.fake, { force: true });
  expect(taken.written.length).toBeGreaterThan(0);
});

it('moves latest and unstable whether or not they exist', async () => {
  const { fake, written } = registry({ taken: /./ });
  await publishMultiArch(context, context.repository.images, 'unstable', fake);
  expect(written).toHaveLength(4);
});

it('names a missing architecture, and writes nothing', async () => {
  const arm = registry({ absent: /server:mzbuild-/ });
  const all = await context.resolver.resolve(context.repository.images, { ...context.config, arch: 'aarch64' });
  const armServer = all.find((r) => r.image.name === 'server')!.fingerprint;
  const only = registry({ absent: new RegExp(armServer) });
  await expect(publishMultiArch(context, context.repository.images, 'latest', only.fake)).rejects.toThrow(
    new RegExp(`no index was written: aarch64 image reg\\.example/team/server:mzbuild-${armServer} is not published`),
  );
  expect(only.written).toEqual([]);
  await expect(publishMultiArch(context, context.repository.images, 'latest', arm.fake)).rejects.toThrow(/x86_64 image .* is not published/);
});

it('knows version tags', () => {
  expect(['v1.2.3', 'v1.2.3--main.g1a2b3c4', 'v0.0.1-rc.1'].every(isVersionTag)).toBe(true);
  expect(['latest', 'unstable', 'v1', 'main'].some(isVersionTag)).toBe(false);
});
