// The server's memory held flat while archives stream through it: the garbage of streamed chunks collected as it is made, and undici's parser left uncompiled by V8's optimising tier.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often garbage is collected while a request is under way: at 250 MB/s, some 2.5 MB of chunks. */
const COLLECT_EVERY_MS = 10;

/**
 * Process-wide V8 settings for a process that is the cache server and nothing else (the CLI's
 * command; never in a library's process, whose other users they would change), made before the
 * first connection. They bound what a transfer costs beyond the ~58 MB undici and Node start with
 * (heap snapshots at the peak hold under 1 MB of live buffers; the rest is garbage, and code):
 *
 * - `--liftoff-only`: undici parses HTTP with llhttp in WebAssembly, and V8's optimising
 *   compile of it (TurboFan tier-up, in the background after the first request) peaks at
 *   ~35 MB; its baseline code is as fast for what it does here (headers; a body is only
 *   counted), so it is never optimised.
 * - A minor collection every COLLECT_EVERY_MS while requests are under way: each socket read
 *   is a new 64 KiB buffer, and V8 collects buffers only once some 64 MB of them are garbage,
 *   which a 100 MB transfer reaches; a scavenge of a heap of dead chunks takes well under a
 *   millisecond. Returns the collector (undefined when V8 cannot give it).
 */
export function tuneForStreaming(): (() => void) | undefined {
  setFlagsFromString('--liftoff-only');
  setFlagsFromString('--expose-gc');
  try {
    const gc = runInNewContext('gc') as (options?: { type: 'minor' | 'major' }) => void;
    return typeof gc === 'function' ? () => gc({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  }
}

/** Runs `collect` on a timer while at least one request is under way; `begin` returns its `end`. */
export class Collector {
  private active = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly collect: (() => void) | undefined) {}

  begin(): () => void {
    if (!this.collect) return () => undefined;
    if (this.active++ === 0) this.timer = setInterval(this.collect, COLLECT_EVERY_MS).unref();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--this.active === 0) clearInterval(this.timer);
    };
  }
}
