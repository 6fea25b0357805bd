import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import { batch, type DockerBuildOptions } from './docker-build';

/** Options a batch cannot hold twice fail every task of it, naming the two that differ; nothing runs. */
const graph = (tasks: string[]) => ({ tasks: Object.fromEntries(tasks.map((id) => [id, {}])) }) as unknown as TaskGraph;
const context = { root: '/nonexistent' } as ExecutorContext;

it('fails a batch whose tasks ask for different image configurations, naming both tasks', async () => {
  const inputs: Record<string, DockerBuildOptions> = {
    'base:docker-build': { image: 'base', profile: 'optimized' },
    'app:docker-build': { image: 'app', profile: 'dev' },
  };
  const results = await batch(graph(Object.keys(inputs)), inputs, {}, context);
  expect(Object.keys(results).sort()).toEqual(['app:docker-build', 'base:docker-build']);
  for (const result of Object.values(results)) {
    expect(result.success).toBe(false);
    expect(result.terminalOutput).toBe(
      'tasks base:docker-build and app:docker-build run together but ask for different profile ("optimized" and "dev"); ' +
        'one run builds with one configuration: run them in separate nx commands, or give them the same options',
    );
  }
});

describe('shardingOf', () => {
  const { shardingOf } = require('./image-tasks') as typeof import('./image-tasks');
  it('takes the tasks\' shard, else MZBUILD_SHARD, and refuses a batch whose tasks differ', () => {
    expect(shardingOf([{ image: 'a' }, { image: 'b' }], {})).toEqual({});
    expect(shardingOf([{ image: 'a' }], { MZBUILD_SHARD: '2/3', MZBUILD_SHARD_WAIT: '90s' })).toEqual({ sharding: { shard: { index: 2, count: 3 }, wait: 90_000 } });
    expect(shardingOf([{ image: 'a', shard: '1/2', shardWait: '5s' }, { image: 'b', shard: '1/2', shardWait: '5s' }], { MZBUILD_SHARD: '2/3' })).toEqual({ sharding: { shard: { index: 1, count: 2 }, wait: 5000 } });
    expect(() => shardingOf([{ image: 'a', shard: '1/2' }, { image: 'b', shard: '2/2' }], {})).toThrow('tasks of images a and b run together but ask for different shards');
    expect(() => shardingOf([{ image: 'a', shard: '3/2' }], {})).toThrow('option shard "3/2": give the shard as I/N');
  });
});
