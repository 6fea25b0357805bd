/** `mzimage plan --json --shards N`: what each of N CI shards will publish, as a GitHub Actions matrix include list. */
import type { MzbuildContext } from '../context';
import { planPublish } from '../publish/plan';
import type { Image } from '../repository';

/** One job of the matrix: its `--shard` and the images of its share that it will build and push (or copy). */
export interface ShardJob {
  shard: string;
  images: string[];
}

/**
 * The publish plan's work, shard by shard, leaving out shards with nothing to do, so that the
 * workflow runs no job that would only find everything published (an empty list: skip the
 * matrix). The shares are the ones `ensure --shard I/N` computes for the same targets.
 */
export async function shardMatrix(context: MzbuildContext, targets: Image[], count: number): Promise<ShardJob[]> {
  const plan = await planPublish(context, targets, { sharding: { shard: { index: 1, count }, wait: 0 } });
  const jobs: ShardJob[] = [];
  for (let index = 1; index <= count; index++) {
    const images = plan.entries.filter((e) => e.shard === index && (e.action === 'push' || e.action === 'copy')).map((e) => e.name);
    if (images.length > 0) jobs.push({ shard: `${index}/${count}`, images });
  }
  return jobs;
}
