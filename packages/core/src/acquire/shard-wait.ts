/** Waiting for an image another CI shard builds: the registry asked with backoff until it is there, or the shard's time is up. */
import type { Found } from './execute';

/** Time, given so that tests need not wait for it. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const REAL_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The first pause between two looks, and the longest: a registry HEAD is cheap, but N shards asking every second for half an hour is not. */
export const FIRST_PAUSE = 1000;
export const LONGEST_PAUSE = 30_000;

/**
 * Asks `look` (where is the image now?) until it says, pausing 1 s, 2 s, 4 s… up to 30 s between
 * looks, and never past `deadline`: one last look is made at the deadline, so an image pushed in
 * the final pause is still found. Undefined: not there in time (the caller builds it itself).
 */
export async function waitForImage(look: () => Promise<Found>, deadline: number, clock: Clock = REAL_CLOCK): Promise<Found> {
  for (let pause = FIRST_PAUSE; ; pause = Math.min(pause * 2, LONGEST_PAUSE)) {
    const found = await look();
    if (found) return found;
    const left = deadline - clock.now();
    if (left <= 0) return undefined;
    await clock.sleep(Math.min(pause, left));
  }
}

/**
 * The deadlines of one run, one per shard it waits on: the clock of shard K starts with the first
 * wait for one of its images. Once it has run out, that shard is taken for dead, and its other
 * images are looked for once rather than waited for again: a killed shard costs one wait, not one
 * per image.
 */
export class ShardDeadlines {
  private readonly deadlines = new Map<number, number>();

  constructor(
    private readonly wait: number,
    private readonly clock: Clock = REAL_CLOCK,
  ) {}

  of(shard: number): number {
    let deadline = this.deadlines.get(shard);
    if (deadline === undefined) this.deadlines.set(shard, (deadline = this.clock.now() + this.wait));
    return deadline;
  }
}
