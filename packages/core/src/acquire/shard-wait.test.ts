import { ShardDeadlines, waitForImage, type Clock } from './shard-wait';
import type { Found } from './execute';

/** A clock whose sleeps only move its time on, recorded. */
function fakeClock(): Clock & { pauses: number[]; time: number } {
  const clock = {
    time: 0,
    pauses: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.pauses.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

test('asks with backoff (1 s, doubling, at most 30 s) until the image is there', async () => {
  const clock = fakeClock();
  let looks = 0;
  const found = await waitForImage(async (): Promise<Found> => (++looks === 8 ? { registry: true, digest: 'sha256:x' } : undefined), 3_600_000, clock);
  expect(found).toEqual({ registry: true, digest: 'sha256:x' });
  expect(clock.pauses).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

test('gives up at the deadline, after one last look there', async () => {
  const clock = fakeClock();
  const looks: number[] = [];
  const found = await waitForImage(async () => void looks.push(clock.now()), 10_000, clock);
  expect(found).toBeUndefined();
  expect(clock.pauses).toEqual([1000, 2000, 4000, 3000]);
  expect(looks).toEqual([0, 1000, 3000, 7000, 10_000]);
});

test('an image found at the first look costs no wait', async () => {
  const clock = fakeClock();
  expect(await waitForImage(async () => 'local', 0, clock)).toBe('local');
  expect(clock.pauses).toEqual([]);
});

test("a shard's clock starts with the first wait on it, and is shared by its images", () => {
  const clock = fakeClock();
  const deadlines = new ShardDeadlines(60_000, clock);
  expect(deadlines.of(2)).toBe(60_000);
  clock.time = 50_000;
  expect(deadlines.of(2)).toBe(60_000);
  expect(deadlines.of(3)).toBe(110_000);
});
