// The acquire plan with a cache registry: looked in only for what the registry misses, held to the same trust rule, pulled from and named as the registry's.
import { loadContext, type MzbuildContext } from '../../packages/core/src';
import { cacheReferenceOf, checkCacheRegistry } from '../../packages/core/src/acquire/cache-registry';
import { executePlan, type Builders } from '../../packages/core/src/acquire/execute';
import { makePlan, type RegistryAnswer } from '../../packages/core/src/acquire/plan';
import type { Verification } from '../../packages/core/src/signing/verify';
import { GitRepo, image } from '../support/git-repo';

/** base ← top, answered by stand-ins for the registry and the verifier (pure logic: the real ones are in test/publish/cache-registry.e2e.test.ts). */
let repo: GitRepo;
let context: MzbuildContext;
const MAIN = 'main.example/team';
const CACHE = 'main.example/pr';
const DIGEST = `sha256:${'a'.repeat(64)}`;

beforeAll(async () => {
  repo = new GitRepo();
  repo.write({ ...image('images/base', 'base', 'FROM scratch\n'), ...image('images/top', 'top', 'MZFROM base\n') });
  repo.commit();
  context = await loadContext({ cwd: repo.root, env: {}, pluginOptions: { registry: MAIN, cacheRegistry: CACHE } });
});
afterAll(() => repo.dispose());

/** The plan, with `present` the references any registry has and `signed` those a trusted key signed (undefined: no keys). */
async function plan(present: RegExp, signed?: RegExp, ci = false) {
  const asked: string[][] = [];
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  const entries = await makePlan(resolved, {
    localImages: new Set(),
    checkRegistry: async (references) => {
      asked.push(references);
      return new Map(references.map((r): [string, RegistryAnswer] => [r, present.test(r) ? { existence: 'present', digest: DIGEST } : { existence: 'absent' }]));
    },
    ...(signed ? { verify: async (reference: string): Promise<Verification> => (signed.test(reference) ? { trusted: true, key: 'k', cached: false } : { trusted: false, reason: 'it has no signatures' }) } : {}),
    cacheReference: cacheReferenceOf(context.config)!,
    ci,
    allowLocalBuild: !ci,
  });
  return { entries: Object.fromEntries(entries.map((e) => [e.name, e])), asked };
}

it('asks the cache registry nothing when the registry has everything', async () => {
  const { entries, asked } = await plan(/^main\.example\/team\//);
  expect(asked).toHaveLength(1);
  expect(entries['top']).toMatchObject({ action: 'registry' });
  expect(entries['top']!.source).toBeUndefined();
});

it('looks in the cache registry, in one more batch, only for what the registry lacks', async () => {
  const { entries, asked } = await plan(/^main\.example\/team\/base:|^main\.example\/pr\/top:/);
  expect(asked).toEqual([expect.any(Array), [entries['top']!.reference.replace(MAIN, CACHE)]]);
  expect(entries['base']).toMatchObject({ action: 'registry' });
  expect(entries['top']).toMatchObject({ action: 'registry', source: entries['top']!.reference.replace(MAIN, CACHE) });
});

it('with trusted keys, uses an image of the cache registry only when signed, and says why it builds otherwise', async () => {
  const unsigned = await plan(/./, /^main\.example\/team\/base:/);
  expect(unsigned.entries['base']).toMatchObject({ action: 'registry', digest: DIGEST });
  expect(unsigned.entries['top']).toMatchObject({ action: 'untrusted' });
  expect(unsigned.entries['top']!.reason).toMatch(/not signed by a trusted key: it has no signatures; the cache registry's is not signed by a trusted key either/);
  const signed = await plan(/^main\.example\/pr\//, /^main\.example\/pr\/top:/);
  expect(signed.entries['top']).toMatchObject({ action: 'registry', digest: DIGEST, source: signed.entries['top']!.reference.replace(MAIN, CACHE) });
  expect(signed.entries['base']).toMatchObject({ action: 'build' });
  expect(signed.entries['base']!.reason).toMatch(/not in the registry; the cache registry's is not signed/);
});

it('in CI, says of a refused image that the cache registry’s is not signed either', async () => {
  const { entries } = await plan(/^main\.example\/pr\//, /^main\.example\/team\//, true);
  expect(entries['base']).toMatchObject({ action: 'refused', reason: "in CI, expected in the registry; the cache registry's is not signed by a trusted key either" });
});

it('pulls from the cache registry (by digest when verified) and names the image by its reference in the registry', async () => {
  const { entries } = await plan(/^main\.example\/pr\//, /^main\.example\/pr\//);
  const events: string[] = [];
  const builders: Builders = {
    cargo: async () => {},
    copy: async () => {},
    dockerBuild: async () => {},
    pull: async (reference) => void events.push(`pull ${reference}`),
    tag: async (source, target) => void events.push(`tag ${source} ${target}`),
  };
  await executePlan([entries['top']!], { context, builders, pull: true, parallel: 1, onLine: () => {}, revision: 'r' });
  const cached = entries['top']!.reference.replace(MAIN, CACHE).replace(/:mzbuild-\w+$/, `@${DIGEST}`);
  expect(events).toEqual([`pull ${cached}`, `tag ${cached} ${entries['top']!.reference}`]);
});

it('maps references into the cache registry, and refuses a cache registry that is the registry or a mirror', () => {
  expect(cacheReferenceOf({ registry: MAIN, mirrors: [], cacheRegistry: CACHE })!(`${MAIN}/x:mzbuild-A`)).toBe(`${CACHE}/x:mzbuild-A`);
  expect(cacheReferenceOf({ registry: MAIN, mirrors: [], cacheRegistry: undefined })).toBeUndefined();
  expect(() => checkCacheRegistry({ registry: MAIN, mirrors: [], cacheRegistry: MAIN })).toThrow(/the cache registry main\.example\/team is also the registry/);
  expect(() => checkCacheRegistry({ registry: MAIN, mirrors: ['m.example/x'], cacheRegistry: 'm.example/x' })).toThrow(/is also the mirror/);
});
