/** Phase timings for `MZBUILD_TIMINGS=1`: how long each part of a run took, printed to stderr at the end. */

/** The phases, in the order they are printed; a phase may run several times, or beside another. */
export const PHASES = ['module load', 'caches', 'git listing', 'stat', 'parse', 'cargo', 'hash', 'resolve', 'output'] as const;
export type Phase = (typeof PHASES)[number];

interface Totals {
  ms: number;
  notes: string[];
}

/**
 * Collects time per phase while enabled; disabled (the default) it costs one branch per call.
 * Phases that run concurrently (git lists files while the caches are read) are each timed by
 * the wall clock, so their sum can exceed the total.
 */
export class Timings {
  private readonly totals = new Map<Phase, Totals>();

  constructor(readonly enabled: boolean) {}

  /** Runs `work` as part of `phase`. */
  time<T>(phase: Phase, work: () => T): T {
    if (!this.enabled) return work();
    const started = performance.now();
    try {
      return work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  /** Runs and awaits `work` as part of `phase`: the time from its start until it settles. */
  async timeAsync<T>(phase: Phase, work: () => Promise<T>): Promise<T> {
    if (!this.enabled) return work();
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(phase, performance.now() - started);
    }
  }

  add(phase: Phase, ms: number): void {
    if (!this.enabled) return;
    const totals = this.totals.get(phase) ?? { ms: 0, notes: [] };
    totals.ms += ms;
    this.totals.set(phase, totals);
  }

  /** A remark printed after the phase's time, such as how many files the cache answered for. */
  note(phase: Phase, note: string): void {
    if (!this.enabled) return;
    const totals = this.totals.get(phase) ?? { ms: 0, notes: [] };
    totals.notes.push(note);
    this.totals.set(phase, totals);
  }

  /** One line per phase that ran, then the process's time so far and its peak memory. */
  report(): string {
    if (!this.enabled) return '';
    const lines = PHASES.filter((phase) => this.totals.has(phase)).map((phase) => {
      const { ms, notes } = this.totals.get(phase)!;
      return line(phase, ms, notes.join(', '));
    });
    const memory = `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
    lines.push(line('total', performance.now(), `since the process started; ${memory}`));
    return lines.join('');
  }
}

function line(phase: string, ms: number, note: string): string {
  return `mzimage: timing: ${phase.padEnd(11)} ${ms.toFixed(1).padStart(7)} ms${note ? `  (${note})` : ''}\n`;
}

const GLOBAL = Symbol.for('mzbuild.timings');

/**
 * The timings of this process: enabled by MZBUILD_TIMINGS=1 (any value but "", "0" and "false").
 * One per process, even where the CLI's bundles each hold a copy of this module.
 */
export const timings: Timings = ((globalThis as { [GLOBAL]?: Timings })[GLOBAL] ??= new Timings(
  !['', '0', 'false', undefined].includes(process.env['MZBUILD_TIMINGS']),
));
