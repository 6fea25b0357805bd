import { loadContext, type MzbuildContext } from '../../packages/core/src';
import { executePlan, type Builders, type DockerBuildRequest } from '../../packages/core/src/acquire/execute';
import { formatSummary } from '../../packages/core/src/acquire/summary';
import { makePlan, type PlanEntry } from '../../packages/core/src/acquire/plan';
import { cargoWorkspace, crate, GitRepo, image } from '../support/git-repo';

/**
 * The scheduling of a plan, with recording builders in place of cargo and docker (the real ones
 * are exercised end to end elsewhere): base ← rust ← top; base ← other; lone stands alone.
 */
let repo: GitRepo;
let context: MzbuildContext;

beforeAll(async () => {
  repo = new GitRepo();
  repo.write({
    ...cargoWorkspace(['crates/app']),
    ...crate('crates/app', 'app', '', { 'src/main.rs': '' }),
    ...image('images/base', 'base', 'FROM scratch\n', 'build-args:\n  BUILD_PROFILE: mine\n  EXTRA: "1"\n'),
    ...image('images/rust', 'rust', 'MZFROM base AS b\nCOPY app /\n', 'pre-image:\n  - type: cargo-build\n    bin: app\n'),
    ...image('images/top', 'top', 'MZFROM rust\n'),
    ...image('images/other', 'other', 'MZFROM base\n'),
    ...image('images/lone', 'lone', 'FROM scratch\n', 'publish: false\n'),
  });
  repo.commit();
  context = await loadContext({ cwd: repo.root, env: {}, pluginOptions: { registry: 'localhost:5000/test' } });
});
afterAll(() => repo.dispose());

async function planAll(local: string[] = [], present: string[] = []): Promise<PlanEntry[]> {
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  const references = new Map(resolved.map((r) => [r.image.name, r.reference]));
  return makePlan(resolved, {
    localImages: new Set(local.map((n) => references.get(n)!)),
    checkRegistry: async (refs) => new Map(refs.map((r) => [r, [...references].some(([n, ref]) => ref === r && present.includes(n)) ? 'present' : 'absent'])),
    ci: false,
    allowLocalBuild: false,
  });
}

/** Builders that record what they are asked, in order, and can be told to fail or wait. */
function recorder(options: { failDocker?: string[]; cargoGate?: Promise<void>; failCargo?: boolean } = {}) {
  const events: string[] = [];
  const requests = new Map<string, DockerBuildRequest>();
  let running = 0;
  let maxRunning = 0;
  const builders: Builders = {
    cargo: async (steps) => {
      events.push(`cargo start ${steps.map((s) => s.imageName).join(',')}`);
      await options.cargoGate;
      events.push('cargo end');
      if (options.failCargo) throw new (require('../../packages/core/src').UserError)('cargo build failed (exit 101)');
    },
    copy: async () => {},
    pull: async (reference) => {
      events.push(`pull ${reference.split('/').pop()!.split(':')[0]}`);
    },
    dockerBuild: async (request) => {
      const name = request.labels['dev.mzbuild.image']!;
      requests.set(name, request);
      running++;
      maxRunning = Math.max(maxRunning, running);
      events.push(`build ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running--;
      if (options.failDocker?.includes(name)) throw new (require('../../packages/core/src').UserError)(`docker build of ${name} failed (exit 1)`);
    },
  };
  return { builders, events, requests, maxRunning: () => maxRunning };
}

const run = (plan: PlanEntry[], builders: Builders, parallel = 2, pull = true) =>
  executePlan(plan, { context, builders, pull, parallel, onLine: () => {}, revision: 'abc123' });

it('plans local, registry and build, and never asks the registry about unpublished images', async () => {
  const asked: string[] = [];
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  const plan = await makePlan(resolved, {
    localImages: new Set([resolved.find((r) => r.image.name === 'base')!.reference]),
    checkRegistry: async (refs) => {
      asked.push(...refs);
      return new Map(refs.map((r) => [r, r.includes('/other:') ? 'present' : 'absent']));
    },
    ci: false,
    allowLocalBuild: false,
  });
  expect(Object.fromEntries(plan.map((e) => [e.name, e.action]))).toEqual({ base: 'local', lone: 'build', other: 'registry', rust: 'build', top: 'build' });
  expect(asked.some((r) => r.includes('/lone:'))).toBe(false);
  expect(asked).toHaveLength(3);
});

it('refuses, in CI, to build publishable images the registry lacks unless allowed, image by image', async () => {
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  const options = {
    localImages: new Set<string>(),
    checkRegistry: async (refs: string[]) => new Map(refs.map((r) => [r, r.includes('/other:') ? ('present' as const) : ('absent' as const)])),
    ci: true,
  };
  const actions = (plan: PlanEntry[]) => Object.fromEntries(plan.map((e) => [e.name, e.action]));
  // lone is not published, so it is always built; other is in the registry.
  expect(actions(await makePlan(resolved, { ...options, allowLocalBuild: false }))).toEqual({ base: 'refused', lone: 'build', other: 'registry', rust: 'refused', top: 'refused' });
  expect(actions(await makePlan(resolved, { ...options, allowLocalBuild: true }))).toEqual({ base: 'build', lone: 'build', other: 'registry', rust: 'build', top: 'build' });
  expect(actions(await makePlan(resolved, { ...options, allowLocalBuild: (name) => name === 'base' }))).toEqual({ base: 'build', lone: 'build', other: 'registry', rust: 'refused', top: 'refused' });
  expect(actions(await makePlan(resolved, { ...options, ci: false, allowLocalBuild: false }))).toEqual({ base: 'build', lone: 'build', other: 'registry', rust: 'build', top: 'build' });
});

it('fails refused images with the reason and what to do, and does the rest', async () => {
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  const plan = await makePlan(resolved, {
    localImages: new Set<string>(),
    checkRegistry: async (refs) => new Map(refs.map((r) => [r, r.includes('/rust:') ? 'absent' : 'present'])),
    ci: true,
    allowLocalBuild: false,
  });
  const { builders, events } = recorder();
  const outcomes = await executePlan(plan, { context, builders, pull: true, parallel: 2, onLine: () => {}, revision: 'r' });
  const results = Object.fromEntries(outcomes.map((o) => [o.name, o.result]));
  expect(results).toEqual({ base: 'pulled', lone: 'built', other: 'pulled', rust: 'failed', top: 'pulled' });
  expect(outcomes.find((o) => o.name === 'rust')!.error).toMatch(/in CI, publishable images are expected in the registry, and this image is not: \S+\/rust:mzbuild-.*MZBUILD_ALLOW_LOCAL_BUILD=1/);
  expect(events.some((e) => e.startsWith('cargo'))).toBe(false);
});

it('builds every image, rewriting MZFROM to the dependencies\' references, with mzbuild\'s build args and labels', async () => {
  const plan = await planAll();
  const { builders, requests } = recorder();
  const outcomes = await run(plan, builders);
  expect(outcomes.map((o) => o.result)).toEqual(plan.map(() => 'built'));
  const base = plan.find((e) => e.name === 'base')!;
  const rust = requests.get('rust')!;
  expect(rust.dockerfile).toBe(`FROM ${base.reference} AS b\nCOPY app /\n`);
  expect(rust.tag).toBe(plan.find((e) => e.name === 'rust')!.reference);
  expect(requests.get('base')!.buildArgs).toEqual({ BUILD_PROFILE: 'OPTIMIZED', EXTRA: '1', ARCH_GCC: context.config.arch, ARCH_GO: expect.any(String), CI_SANITIZER: 'none' });
  expect(rust.labels).toEqual({ 'dev.mzbuild.image': 'rust', 'dev.mzbuild.fingerprint': plan.find((e) => e.name === 'rust')!.fingerprint, 'org.opencontainers.image.revision': 'abc123' });
  expect(rust.contextDir).toBe(`${repo.root}/images/rust`);
});

it('lets images without Rust build while cargo runs, and Rust images wait for it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { builders, events } = recorder({ cargoGate: gate });
  const running = run(await planAll(), builders);
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(events).toEqual(expect.arrayContaining(['cargo start rust', 'build base', 'build other', 'build lone']));
  expect(events).not.toContain('build rust');
  release();
  await running;
  expect(events.indexOf('build rust')).toBeGreaterThan(events.indexOf('cargo end'));
  expect(events.indexOf('build top')).toBeGreaterThan(events.indexOf('build rust'));
});

it('runs one cargo build for all Rust images, and no more docker builds at once than allowed', async () => {
  const { builders, events, maxRunning } = recorder();
  await run(await planAll(), builders, 1);
  expect(events.filter((e) => e.startsWith('cargo start'))).toHaveLength(1);
  expect(maxRunning()).toBe(1);
});

it('stops only the images that depend on a failure, and names every failure', async () => {
  const { builders, events } = recorder({ failDocker: ['rust', 'other'] });
  const outcomes = await run(await planAll(), builders);
  const results = Object.fromEntries(outcomes.map((o) => [o.name, o.result]));
  expect(results).toEqual({ base: 'built', lone: 'built', other: 'failed', rust: 'failed', top: 'skipped' });
  expect(events).not.toContain('build top');
  const summary = formatSummary(outcomes);
  expect(summary).toMatch(/rust .*failed.*docker build of rust failed/);
  expect(summary).toMatch(/other .*failed/);
  expect(summary).toMatch(/top .*skipped.*rust was not built/);
  expect(summary).toMatch(/2 failed, 1 not built because a dependency failed/);
});

it('fails the Rust images, and only those, when cargo fails', async () => {
  const { builders } = recorder({ failCargo: true });
  const results = Object.fromEntries((await run(await planAll(), builders)).map((o) => [o.name, o.result]));
  expect(results).toEqual({ base: 'built', lone: 'built', other: 'built', rust: 'failed', top: 'skipped' });
});

it('pulls registry images, or with pull: false only records that they exist; leaves local ones alone', async () => {
  const plan = await planAll(['base'], ['rust', 'other', 'top']);
  const pulled = recorder();
  const outcomes = await run(plan, pulled.builders);
  expect(Object.fromEntries(outcomes.map((o) => [o.name, o.result]))).toEqual({ base: 'local', lone: 'built', other: 'pulled', rust: 'pulled', top: 'pulled' });
  expect(pulled.events.filter((e) => e.startsWith('cargo'))).toEqual([]);
  const checked = recorder();
  const noPull = await run(plan, checked.builders, 2, false);
  expect(noPull.filter((o) => o.result === 'in registry').map((o) => o.name).sort()).toEqual(['other', 'rust', 'top']);
  expect(checked.events.filter((e) => e.startsWith('pull'))).toEqual([]);
});

it('with trusted keys, uses only verified images, pulled by digest and tagged, and builds untrusted ones (refused in CI)', async () => {
  const resolved = await context.resolver.resolve(context.repository.images, context.config);
  const digest = `sha256:${'a'.repeat(64)}`;
  const verified: string[] = [];
  const options = {
    localImages: new Set<string>(),
    checkRegistry: async (refs: string[]) => new Map(refs.map((r) => [r, { existence: 'present' as const, digest }])),
    verify: async (reference: string) => {
      verified.push(reference);
      return reference.includes('/other:') ? { trusted: true as const, key: 'k', cached: false } : { trusted: false as const, reason: 'no signature' };
    },
    ci: false,
    allowLocalBuild: false,
  };
  const plan = await makePlan(resolved, options);
  expect(Object.fromEntries(plan.map((e) => [e.name, e.action]))).toEqual({ base: 'untrusted', lone: 'build', other: 'registry', rust: 'untrusted', top: 'untrusted' });
  expect(verified).toHaveLength(4);
  expect(plan.find((e) => e.name === 'other')!.digest).toBe(digest);
  expect(plan.find((e) => e.name === 'base')!.reason).toBe('not signed by a trusted key: no signature');
  const inCi = await makePlan(resolved, { ...options, ci: true });
  expect(inCi.find((e) => e.name === 'base')).toMatchObject({ action: 'refused', untrusted: true });

  const { builders, events } = recorder();
  const tags: string[] = [];
  builders.pull = async (reference) => void events.push(`pull ${reference}`);
  builders.tag = async (source, target) => void tags.push(`${source} ${target}`);
  const outcomes = await run(plan, builders);
  const other = plan.find((e) => e.name === 'other')!.reference;
  const pinned = `${other.split(':mzbuild-')[0]}@${digest}`;
  expect(events).toContain(`pull ${pinned}`);
  expect(tags).toEqual([`${pinned} ${other}`]);
  expect(Object.fromEntries(outcomes.map((o) => [o.name, o.result]))).toEqual({ base: 'built', lone: 'built', other: 'pulled', rust: 'built', top: 'built' });
});
