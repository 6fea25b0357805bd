import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileHasher } from './file-hasher';
import { HashCache } from './hash-cache';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = () => ({ MZBUILD_CACHE_DIR: join(dir, 'cache') });
/** A hasher whose cache remembers files however fresh (the racy window is the clock's business). */
const hasher = (racyMs = 0) => new FileHasher(dir, HashCache.forRepository(dir, env(), racyMs));

async function hashOnce(files: string[], racyMs = 0) {
  const h = hasher(racyMs);
  await h.prefetch(files);
  h.saveCache(new Set(files));
  return { records: files.map((f) => h.record(f).sha1.toString('hex')), counts: h.counts };
}

it('answers from the cache for a file whose lstat has not changed, and reads a changed one', async () => {
  writeFileSync(join(dir, 'a'), 'one');
  writeFileSync(join(dir, 'b'), 'two');
  const first = await hashOnce(['a', 'b']);
  expect(first.counts).toEqual({ hashed: 2, cached: 0 });

  const second = await hashOnce(['a', 'b']);
  expect(second.counts).toEqual({ hashed: 0, cached: 2 });
  expect(second.records).toEqual(first.records);

  writeFileSync(join(dir, 'b'), 'TWO'); // same size; mtime and ctime move
  const third = await hashOnce(['a', 'b']);
  expect(third.counts).toEqual({ hashed: 1, cached: 1 });
  expect(third.records[1]).not.toBe(first.records[1]);
});

it('does not trust a file changed just before it was read', async () => {
  writeFileSync(join(dir, 'a'), 'one');
  await hashOnce(['a'], 60_000);
  expect((await hashOnce(['a'], 60_000)).counts).toEqual({ hashed: 1, cached: 0 });
});

it('notices a content change even when the mtime is put back', async () => {
  writeFileSync(join(dir, 'a'), 'one');
  utimesSync(join(dir, 'a'), 1_000_000, 1_000_000);
  await hashOnce(['a']);
  writeFileSync(join(dir, 'a'), 'two');
  utimesSync(join(dir, 'a'), 1_000_000, 1_000_000); // ctime still moves
  expect((await hashOnce(['a'])).counts).toEqual({ hashed: 1, cached: 0 });
});

it('forgets files that are no longer in the repository', async () => {
  writeFileSync(join(dir, 'a'), 'one');
  await hashOnce(['a']);
  hasher().saveCache(new Set()); // a run in which the repository no longer has `a`
  expect((await hashOnce(['a'])).counts).toEqual({ hashed: 1, cached: 0 });
});

it('treats a corrupt cache file as empty', async () => {
  writeFileSync(join(dir, 'a'), 'one');
  await hashOnce(['a']);
  const cacheDir = join(dir, 'cache');
  for (const file of require('node:fs').readdirSync(cacheDir)) writeFileSync(join(cacheDir, file), '{not json');
  expect((await hashOnce(['a'])).counts).toEqual({ hashed: 1, cached: 0 });
});

it('hashes large batches on two threads with the same results as one', async () => {
  const files = Array.from({ length: 40 }, (_, i) => `f${i}`);
  for (const [i, file] of files.entries()) writeFileSync(join(dir, file), Buffer.alloc(1 << 20, i));
  const single = new FileHasher(dir, HashCache.inMemory(), false);
  const double = new FileHasher(dir, HashCache.inMemory(), true);
  await Promise.all([single.prefetch(files), double.prefetch(files)]);
  expect(files.map((f) => double.record(f))).toEqual(files.map((f) => single.record(f)));
  expect(double.counts.hashed).toBe(40);
});
