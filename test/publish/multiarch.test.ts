import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadContext, writeKeyPair, type MzbuildContext } from '../../packages/core/src';
import { isVersionTag, publishMultiArch, type IndexRegistry } from '../../packages/core/src/publish/multiarch';
import { GitRepo, image } from '../support/git-repo';

/**
 * The decisions of publish-multiarch (what is written where, what is refused), with a recording
 * stand-in for the registry; the registry side is tested for real in publish.e2e.test.ts.
 */
let repo: GitRepo;
let context: MzbuildContext;
let keys: string;

beforeAll(async () => {
  repo = new GitRepo();
  repo.write({
    ...image('images/server', 'server'),
    ...image('images/cli', 'cli', 'FROM scratch\n', 'mainline: false\n'),
    ...image('images/local', 'local', 'FROM scratch\n', 'publish: false\n'),
  });
  repo.commit();
  context = await loadContext({ cwd: repo.root, env: {}, pluginOptions: { registry: 'reg.example/team', mirrors: ['mirror.example/m'] } });
  keys = mkdtempSync(join(tmpdir(), 'mzbuild-multiarch-keys-'));
  await writeKeyPair(keys, 'pw');
});
afterAll(() => {
  repo.dispose();
  rmSync(keys, { recursive: true, force: true });
});

/** A digest per reference, so that pinned sources can be told apart. */
const digestOf = (reference: string) => `sha256:${Buffer.from(reference).toString('hex').slice(-64).padStart(64, '0')}`;

function registry(options: { absent?: RegExp; taken?: RegExp; unsigned?: RegExp; signedAlready?: RegExp } = {}) {
  const written: { target: string; sources: { platform: { architecture: string }; reference: string }[] }[] = [];
  const verified: string[] = [];
  const signed: { reference: string; digest: string }[] = [];
  const fake: IndexRegistry = {
    checkPresence: async (references) =>
      new Map(references.map((r) => [r, options.absent?.test(r) ? { existence: 'absent' as const } : { existence: 'present' as const, digest: digestOf(r) }])),
    tagExists: async (reference) => options.taken?.test(reference) ?? false,
    createIndex: async (target, sources) => {
      written.push({ target, sources });
      return `sha256:${'1'.repeat(64)}`;
    },
    verify: async (reference, digest) => {
      verified.push(reference);
      expect(digest).toBe(digestOf(reference));
      return options.unsigned?.test(reference) ? { trusted: false, reason: 'it has no signatures' } : { trusted: true, key: 'k', cached: false };
    },
    sign: async (reference, digest) => {
      signed.push({ reference, digest });
      return { written: !options.signedAlready?.test(reference), reference: `${reference}.sig` };
    },
  };
  return { fake, written, verified, signed };
}

/** The repository's context with trusted keys, or a signing key, configured. */
const withKeys = (env: NodeJS.ProcessEnv = {}, trusted = true) =>
  loadContext({
    cwd: repo.root,
    env,
    pluginOptions: { registry: 'reg.example/team', mirrors: ['mirror.example/m'], ...(trusted ? { trustedKeys: [join(keys, 'cosign.pub')] } : {}) },
  });

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

it('with trusted keys, verifies every source and lists them by digest', async () => {
  const { fake, written, verified } = registry();
  await publishMultiArch(await withKeys(), context.repository.images, 'latest', fake);
  expect(verified).toHaveLength(8); // server and cli, two architectures, two registries
  for (const write of written) for (const source of write.sources) expect(source.reference).toMatch(/^[^:]+\/(server|cli)@sha256:[0-9a-f]{64}$/);
  const server = written.find((w) => w.target === 'reg.example/team/server:latest')!;
  expect(server.sources.map((s) => s.reference.split('@')[0])).toEqual(['reg.example/team/server', 'reg.example/team/server']);
});

it('with trusted keys, an unsigned source fails naming it, and nothing is written', async () => {
  const arm = (await context.resolver.resolve(context.repository.images, { ...context.config, arch: 'aarch64' })).find((r) => r.image.name === 'server')!;
  const { fake, written, signed } = registry({ unsigned: new RegExp(`^mirror.example/m/server:mzbuild-${arm.fingerprint}$`) });
  const signing = await withKeys({ MZBUILD_SIGNING_KEY: join(keys, 'cosign.key'), MZBUILD_SIGNING_KEY_PASSWORD: 'pw' });
  await expect(publishMultiArch(signing, context.repository.images, 'latest', fake)).rejects.toThrow(
    `no index was written: aarch64 image mirror.example/m/server:mzbuild-${arm.fingerprint} is not signed by a trusted key (it has no signatures); ` +
      'publish-multiarch builds nothing, so replace it first with mzimage ensure --replace-untrusted --arch aarch64',
  );
  expect(written).toEqual([]);
  expect(signed).toEqual([]);
});

it('without trusted keys, asks for no signature and names sources by tag', async () => {
  const { fake, written, verified } = registry({ unsigned: /./ });
  await publishMultiArch(context, context.repository.images, 'latest', fake);
  expect(verified).toEqual([]);
  expect(written[0]!.sources[0]!.reference).toMatch(/:mzbuild-/);
});

it('with a signing key, signs each index written under its tag and its digest; one signed already is not counted', async () => {
  const { fake, signed } = registry({ signedAlready: /^mirror/ });
  const results = await publishMultiArch(await withKeys({ MZBUILD_SIGNING_KEY: join(keys, 'cosign.key'), MZBUILD_SIGNING_KEY_PASSWORD: 'pw' }, false), context.repository.images, 'latest', fake);
  expect(signed.map((s) => s.reference).sort()).toEqual(['mirror.example/m/cli:latest', 'mirror.example/m/server:latest', 'reg.example/team/cli:latest', 'reg.example/team/server:latest']);
  expect(new Set(signed.map((s) => s.digest))).toEqual(new Set([`sha256:${'1'.repeat(64)}`]));
  expect(results.find((r) => r.name === 'server')!.signed).toEqual(['reg.example/team/server:latest']);
  expect(results.find((r) => r.name === 'local')!.signed).toBeUndefined();
});

it('a dry run signs nothing, and says what it would sign', async () => {
  const { fake, written, signed } = registry();
  const results = await publishMultiArch(await withKeys({ MZBUILD_SIGNING_KEY: join(keys, 'cosign.key'), MZBUILD_SIGNING_KEY_PASSWORD: 'pw' }), context.repository.images, 'latest', fake, { dryRun: true });
  expect(written).toEqual([]);
  expect(signed).toEqual([]);
  expect(results.find((r) => r.name === 'server')!.signed).toEqual(['reg.example/team/server:latest', 'mirror.example/m/server:latest']);
});
