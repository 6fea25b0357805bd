import { assignShards, DEFAULT_SHARD_WAIT, imageCost, parseDuration, parseShard, resolveSharding } from './shards';
import type { Image } from '../repository';

const cargo = (bins: string[]) => ({ type: 'cargo-build' as const, bins, examples: [], strip: true, extract: {}, features: [] });
const copy = { type: 'copy' as const, source: 'x', destination: 'y', matching: '*' };
const image = (preImages: Image['manifest']['preImages']) => ({ manifest: { name: 'x', publish: true, mainline: true, buildArgs: {}, preImages } });

test('--shard takes I/N with 1 ≤ I ≤ N, and names the flag when it is not', () => {
  expect(parseShard('2/3', '--shard')).toEqual({ index: 2, count: 3 });
  expect(parseShard(' 1 / 1 ', 'MZBUILD_SHARD')).toEqual({ index: 1, count: 1 });
  for (const bad of ['0/3', '4/3', '3', '1/0', 'a/b', '-1/2']) {
    expect(() => parseShard(bad, 'MZBUILD_SHARD')).toThrow(`MZBUILD_SHARD "${bad}": give the shard as I/N, with 1 ≤ I ≤ N`);
  }
});

test('durations: 30m, 90s, 1h30m, 500ms, and bare seconds', () => {
  expect(parseDuration('30m', '--shard-wait')).toBe(1_800_000);
  expect(parseDuration('90s', '--shard-wait')).toBe(90_000);
  expect(parseDuration('1h30m', '--shard-wait')).toBe(5_400_000);
  expect(parseDuration('500ms', '--shard-wait')).toBe(500);
  expect(parseDuration('2.5', '--shard-wait')).toBe(2500);
  for (const bad of ['', 'soon', '30 minutes', '5d', 'm30']) {
    expect(() => parseDuration(bad, '--shard-wait')).toThrow(`--shard-wait ${JSON.stringify(bad)}: give a duration such as 30m, 90s or 1h30m`);
  }
});

test('the sharding comes from the flags, then MZBUILD_SHARD and MZBUILD_SHARD_WAIT', () => {
  expect(resolveSharding({}, {})).toBeUndefined();
  expect(resolveSharding({}, { MZBUILD_SHARD: '' })).toBeUndefined();
  expect(resolveSharding({}, { MZBUILD_SHARD: '1/2' })).toEqual({ shard: { index: 1, count: 2 }, wait: DEFAULT_SHARD_WAIT });
  expect(resolveSharding({ shard: '2/2' }, { MZBUILD_SHARD: '1/2', MZBUILD_SHARD_WAIT: '90s' })).toEqual({ shard: { index: 2, count: 2 }, wait: 90_000 });
  expect(resolveSharding({ shard: '2/2', shardWait: '5s' }, { MZBUILD_SHARD_WAIT: '90s' })).toEqual({ shard: { index: 2, count: 2 }, wait: 5000 });
  expect(() => resolveSharding({ shardWait: '5s' }, {})).toThrow('--shard-wait needs --shard I/N (or MZBUILD_SHARD)');
  expect(() => resolveSharding({}, { MZBUILD_SHARD: '1/2', MZBUILD_SHARD_WAIT: 'x' })).toThrow('MZBUILD_SHARD_WAIT "x"');
});

test('a Rust image costs more than a copy, and more binaries more', () => {
  expect(imageCost(image([]))).toBe(1);
  expect(imageCost(image([copy]))).toBe(2);
  expect(imageCost(image([cargo(['a'])]))).toBe(11);
  expect(imageCost(image([cargo(['a', 'b']), copy]))).toBe(22);
});

test('shares are balanced by cost, whatever order the images come in', () => {
  const items = [
    { name: 'rust-a', fingerprint: 'f1', cost: 11 },
    { name: 'rust-b', fingerprint: 'f2', cost: 11 },
    { name: 'rust-c', fingerprint: 'f3', cost: 11 },
    ...['c1', 'c2', 'c3', 'c4', 'c5', 'c6'].map((name) => ({ name, fingerprint: name, cost: 1 })),
  ];
  const shares = assignShards(items, 3);
  const load = [1, 2, 3].map((shard) => items.filter((i) => shares.get(i.name) === shard).reduce((sum, i) => sum + i.cost, 0));
  expect(load).toEqual([13, 13, 13]);
  // Each Rust image on a shard of its own.
  expect(new Set(['rust-a', 'rust-b', 'rust-c'].map((n) => shares.get(n))).size).toBe(3);
  expect(assignShards([...items].reverse(), 3)).toEqual(shares);
  expect([...assignShards(items, 1).values()]).toEqual(new Array(9).fill(1));
});

test('ties in cost are broken by name and fingerprint, so a new fingerprint may move an image, and the same never does', () => {
  const items = ['a', 'b', 'c', 'd'].map((name) => ({ name, fingerprint: 'x', cost: 1 }));
  const first = assignShards(items, 2);
  expect(assignShards(items.map((i) => ({ ...i })), 2)).toEqual(first);
  expect([...first.values()].sort()).toEqual([1, 1, 2, 2]);
  const moved = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => assignShards(items.map((i) => ({ ...i, fingerprint: `x${n}` })), 2));
  expect(moved.some((shares) => JSON.stringify([...shares]) !== JSON.stringify([...first]))).toBe(true);
});

test('more shards than images: the extra shards get nothing', () => {
  const shares = assignShards([{ name: 'only', fingerprint: 'f', cost: 3 }], 4);
  expect([...shares]).toEqual([['only', 1]]);
});
