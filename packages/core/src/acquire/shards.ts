/** CI shards: `--shard I/N` and `--shard-wait` read and checked, each image's cost, and the stable, cost-balanced share of every shard. */
import { createHash } from 'node:crypto';
import { UserError } from '../errors';
import type { Image } from '../repository';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  index: number;
  count: number;
}

/** How a sharded run shares the work: its shard, and how long it waits for another shard's image before building it itself. */
export interface Sharding {
  shard: Shard;
  /** Milliseconds. */
  wait: number;
}

/** The default `--shard-wait`: long enough for another shard's Rust build, short enough that a dead shard costs one job's time. */
export const DEFAULT_SHARD_WAIT = 30 * 60_000;

/** `I/N`, as `--shard` and `MZBUILD_SHARD` take it; `source` names where it came from, for the message. */
export function parseShard(text: string, source: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index < 1 || index > count) {
    throw new UserError(`${source} ${JSON.stringify(text)}: give the shard as I/N, with 1 ≤ I ≤ N (e.g. 2/3 for the second of three jobs)`);
  }
  return { index, count };
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as `30m`, `90s`, `1h30m` or `500ms` (a bare number is seconds), in milliseconds. */
export function parseDuration(text: string, source: string): number {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== trimmed) {
    throw new UserError(`${source} ${JSON.stringify(text)}: give a duration such as 30m, 90s or 1h30m`);
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNITS[unit!]!, 0);
}

/**
 * The sharding of a run: the flag (or executor option) first, then `MZBUILD_SHARD` and
 * `MZBUILD_SHARD_WAIT`; undefined when neither names a shard (the run builds everything). `1/1`
 * is a shard of its own: everything, with nothing to wait for.
 */
export function resolveSharding(
  flags: { shard?: string | undefined; shardWait?: string | undefined },
  env: NodeJS.ProcessEnv,
  /** How messages name the flags: the CLI's, or an executor's options. */
  names = { shard: '--shard', shardWait: '--shard-wait' },
): Sharding | undefined {
  const shardText = flags.shard ?? nonEmpty(env['MZBUILD_SHARD']);
  const waitText = flags.shardWait ?? nonEmpty(env['MZBUILD_SHARD_WAIT']);
  const shardSource = flags.shard !== undefined ? names.shard : 'MZBUILD_SHARD';
  const waitSource = flags.shardWait !== undefined ? names.shardWait : 'MZBUILD_SHARD_WAIT';
  const wait = waitText === undefined ? DEFAULT_SHARD_WAIT : parseDuration(waitText, waitSource);
  if (shardText === undefined) {
    if (flags.shardWait !== undefined) throw new UserError(`${names.shardWait} needs ${names.shard} I/N (or MZBUILD_SHARD)`);
    return undefined;
  }
  return { shard: parseShard(shardText, shardSource), wait };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * What building an image costs, in rough units: a docker build is 1, a copy 1 more, and a cargo
 * build 10 per binary or example it names, since compiling Rust dominates every other step.
 */
export function imageCost(image: Pick<Image, 'manifest'>): number {
  let cost = 1;
  for (const step of image.manifest.preImages) {
    cost += step.type === 'copy' ? 1 : 10 * Math.max(1, step.bins.length + step.examples.length);
  }
  return cost;
}

export interface Shardable {
  name: string;
  fingerprint: string;
  cost: number;
}

/**
 * Which shard (1-based) builds each image: the most costly first, each to the shard with the
 * least cost so far (the lowest index on a tie), ties in cost ordered by a hash of name and
 * fingerprint. It depends on nothing but what it is given, so every job that is given the same
 * images (the same command line at one commit) computes the same shares, whatever the registry
 * held when it started: a share computed over "what is still missing" would shift as other
 * shards pushed, and an image could then fall to no shard, or to two.
 */
export function assignShards(items: Shardable[], count: number): Map<string, number> {
  const order = items
    .map((item) => ({ ...item, key: createHash('sha256').update(`${item.name}\0${item.fingerprint}`).digest('hex') }))
    .sort((a, b) => b.cost - a.cost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const load = new Array<number>(count).fill(0);
  const shards = new Map<string, number>();
  for (const item of order) {
    const lightest = load.indexOf(Math.min(...load));
    load[lightest]! += item.cost;
    shards.set(item.name, lightest + 1);
  }
  return shards;
}
