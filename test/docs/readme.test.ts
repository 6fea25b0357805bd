import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readmeBlocks } from '../support/readme';

/** What README.md shows is what the tests and the repository run, so that it cannot drift. */
const ROOT = join(__dirname, '../..');

it('shows the GitHub Actions workflow exactly as docs/ci/github-actions.yml has it, and that file is a workflow', () => {
  const workflow = readFileSync(join(ROOT, 'docs/ci/github-actions.yml'), 'utf8');
  expect(readmeBlocks('yaml')).toContain(workflow);
  const parsed = parse(workflow);
  expect(Object.keys(parsed.jobs)).toEqual(['publish', 'multiarch']);
  expect(parsed.jobs.multiarch.needs).toBe('publish');
  expect(parsed.jobs.publish.strategy.matrix.include.map((i: { arch: string }) => i.arch)).toEqual(['x86_64', 'aarch64']);
});

it('shows the signed workflow as docs/ci/github-actions-signed.yml has it: main signs and pushes to the registry, pull requests have no key and push to the cache registry', () => {
  const workflow = readFileSync(join(ROOT, 'docs/ci/github-actions-signed.yml'), 'utf8');
  expect(readmeBlocks('yaml')).toContain(workflow);
  const { jobs } = parse(workflow);
  expect(Object.keys(jobs)).toEqual(['publish', 'pull-request', 'multiarch']);
  expect(jobs.publish.if).toBe("github.event_name == 'push'");
  expect(jobs['pull-request'].if).toBe("github.event_name == 'pull_request'");
  for (const job of [jobs.publish, jobs.multiarch]) {
    expect(job.environment).toBe('signing');
    expect(job.env.MZBUILD_SIGNING_KEY).toBe('${{ secrets.MZBUILD_SIGNING_KEY }}');
    expect(job.env.MZBUILD_CACHE_REGISTRY).toBeUndefined();
  }
  expect(jobs.multiarch.needs).toBe('publish');
  // The pull request's job: no key, nor any secret but the token, and a cache registry of its own.
  const pr = jobs['pull-request'];
  expect(JSON.stringify(pr).match(/secrets\.\w+/g)).toEqual(['secrets.GITHUB_TOKEN']);
  expect(pr.env.MZBUILD_CACHE_REGISTRY).toMatch(/^ghcr\.io\/acme\/monorepo-pr$/);
  expect(pr.steps.at(-1).run).toBe('npx nx affected -t publish');
});

it('shows the sharded workflow as docs/ci/github-actions-sharded.yml has it: a plan job prints the matrix, a job per shard with work', () => {
  const workflow = readFileSync(join(ROOT, 'docs/ci/github-actions-sharded.yml'), 'utf8');
  expect(readmeBlocks('yaml')).toContain(workflow);
  const { jobs } = parse(workflow);
  expect(Object.keys(jobs)).toEqual(['plan', 'publish']);
  // The command the shards test runs, and its one line into the job's outputs.
  expect(jobs.plan.steps.at(-1)).toEqual({ id: 'plan', run: 'echo "shards=$(npx mzimage plan --all --json --shards 3)" >> "$GITHUB_OUTPUT"' });
  expect(jobs.plan.outputs.shards).toBe('${{ steps.plan.outputs.shards }}');
  expect(jobs.publish.needs).toBe('plan');
  expect(jobs.publish.if).toBe("needs.plan.outputs.shards != '[]'");
  expect(jobs.publish.strategy.matrix.include).toBe('${{ fromJSON(needs.plan.outputs.shards) }}');
  expect(jobs.publish.strategy['fail-fast']).toBe(false);
  expect(jobs.publish.steps.at(-1).run).toBe('npx mzimage ensure --all --shard ${{ matrix.shard }}');
});

it('names the scripts, commands and files that exist', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
  for (const [, script] of readme.matchAll(/npm run (\w[\w:-]*)/g)) expect(Object.keys(scripts)).toContain(script);
  for (const [, path] of readme.matchAll(/\]\(((?:docs|tools|packages)\/[^)#]+)\)/g)) expect(() => readFileSync(join(ROOT, path!))).not.toThrow();
  expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain('tools/setup && npm run demo\ntools/setup && npm test\n');
  expect(readme).toContain('tools/setup && npm run demo');
  expect(readme).toContain('tools/setup && npm test');
});
