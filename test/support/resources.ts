import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a test file starts (servers, proxies) and the temporary directory it writes in, stopped
 * and removed after all its tests, last started first.
 */
export class TestResources {
  dir = '';
  private readonly stops: (() => Promise<void>)[] = [];

  /** Call from beforeAll. */
  open(prefix: string): void {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Waits for something started, and remembers to stop it. */
  async started<T extends { stop(): Promise<void> }>(thing: Promise<T>): Promise<T> {
    const it = await thing;
    this.stops.push(() => it.stop());
    return it;
  }

  /** Remembers something else to undo at the end. */
  onClose(stop: () => Promise<void>): void {
    this.stops.push(stop);
  }

  /** Call from afterAll. */
  async close(): Promise<void> {
    for (const stop of this.stops.reverse()) await stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The base64 of `user:password`, as Basic auth and docker's config.json hold it. */
export function basicCredentials(user: string, password: string): string {
  return Buffer.from(`${user}:${password}`).toString('base64');
}
