/** cargo through sccache: whether (the `sccache` setting, PATH, RUSTC_WRAPPER), what cargo's environment gets, and the hits and misses of one build. */
import { basename } from 'node:path';
import type { Sccache } from '../config';
import { UserError } from '../errors';
import { onPath, spawnLines } from '../process/spawn';

export interface SccacheStats {
  hits: number;
  misses: number;
}

/** What one cargo build's sccache did: its hits and misses, or why they are not known. */
export type SccacheReport = SccacheStats | { unknown: string };

export interface SccacheRun {
  /** Added to cargo's environment. */
  env: NodeJS.ProcessEnv;
  /** After the build: the hits and misses between then and now. */
  finish(): Promise<SccacheReport>;
}

/**
 * Sets cargo up to compile through sccache, or says it does not (undefined): `true` needs
 * sccache on PATH (or RUSTC_WRAPPER set), `auto` takes it when there, `false` leaves cargo's
 * environment as it is. A RUSTC_WRAPPER the user set is kept: it may be an sccache of their own
 * (built with S3, GCS or Redis). CARGO_INCREMENTAL=0, since sccache does not cache incremental
 * compilations. `env` is cargo's whole environment, where PATH is looked in.
 */
export async function startSccache(setting: Sccache | undefined, env: NodeJS.ProcessEnv): Promise<SccacheRun | undefined> {
  if (setting === undefined || setting === false) return undefined;
  const given = env['RUSTC_WRAPPER'] || undefined;
  if (given === undefined && !onPath('sccache', env)) {
    if (setting === 'auto') return undefined;
    throw new UserError('sccache is asked for (--sccache, MZBUILD_SCCACHE or the sccache option) but is not on PATH: install it (apt-get install sccache), or set RUSTC_WRAPPER to one');
  }
  const wrapper = given ?? 'sccache';
  // Only an sccache answers for statistics; another wrapper runs, and no numbers are claimed for it.
  const stats = basename(wrapper) === 'sccache' ? wrapper : undefined;
  const before = stats ? await readStats(stats, env) : undefined;
  return {
    env: { RUSTC_WRAPPER: wrapper, CARGO_INCREMENTAL: '0' },
    finish: async () => {
      if (!stats) return { unknown: `RUSTC_WRAPPER=${wrapper} is not sccache, so it gives no statistics` };
      const after = await readStats(stats, env);
      if (!before || !after) return { unknown: `${wrapper} gives no statistics as JSON (sccache --show-stats --stats-format=json needs sccache 0.3 or later)` };
      // A server that stopped in between (its idle timeout) counts from zero again.
      const restarted = after.hits < before.hits || after.misses < before.misses;
      return restarted ? after : { hits: after.hits - before.hits, misses: after.misses - before.misses };
    },
  };
}

/** The server's counts (every language), from `--show-stats --stats-format=json`; undefined when this sccache cannot say. */
async function readStats(program: string, env: NodeJS.ProcessEnv): Promise<SccacheStats | undefined> {
  let result;
  try {
    result = await spawnLines(program, ['--show-stats', '--stats-format=json'], { env, captureStdout: true });
  } catch {
    return undefined; // not there after all: cargo will say so, naming RUSTC_WRAPPER
  }
  if (result.code !== 0) return undefined;
  try {
    const { stats } = JSON.parse(result.stdout ?? '') as { stats: { cache_hits: { counts: Record<string, number> }; cache_misses: { counts: Record<string, number> } } };
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
    return { hits: total(stats.cache_hits.counts), misses: total(stats.cache_misses.counts) };
  } catch {
    return undefined;
  }
}

/** How the summary and cargo's output word a report. */
export function formatSccache(report: SccacheReport): string {
  return 'unknown' in report ? `sccache: ${report.unknown}` : `sccache: ${report.hits} hits, ${report.misses} misses`;
}
