/** What acquiring did to each image, and the summary line Nx and mzimage print for it. */
import type { CargoReport } from '../preimage/pre-images';
import { formatSccache, type SccacheReport } from '../preimage/sccache';

/** What happened to one image in a run. */
export interface Outcome {
  name: string;
  reference: string;
  /** `other shard`: another CI shard's to build, and nothing of this run needed it. */
  result: 'local' | 'pulled' | 'in registry' | 'built' | 'other shard' | 'failed' | 'skipped';
  seconds: number;
  /** For failed and skipped images: why. */
  error?: string;
  /** For an image whose binaries a cargo build of this run made: what that build reported (shared by its images). */
  cargo?: CargoReport;
  /** For a built image: the builder pushed it to the registry as it built it (it cannot load into an engine). */
  pushed?: boolean;
  /** For a built image: one line of why it was built (explain/run.ts's whyBuilt). */
  why?: string;
}

/** The closing summary: a line per image, then the counts; failures named with their reason. */
export function formatSummary(outcomes: Outcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length), 5);
  const lines = outcomes.map((o) => {
    const time = o.result === 'built' || o.result === 'pulled' ? ` in ${o.seconds.toFixed(1)} s` : '';
    const why = o.error ? `: ${o.error}` : '';
    const pushed = o.pushed ? ' (pushed by the builder)' : '';
    const because = o.why ? `\n  ${' '.repeat(width)}  why: ${o.why}` : '';
    return `  ${o.name.padEnd(width)}  ${(o.result + time).padEnd(18)}  ${o.reference}${pushed}${why}${because}`;
  });
  const count = (result: Outcome['result']) => outcomes.filter((o) => o.result === result).length;
  const totals = [
    `${count('built')} built`,
    `${count('pulled') + count('in registry')} from the registry`,
    `${count('local')} found locally`,
  ];
  if (count('other shard') > 0) totals.push(`${count('other shard')} left to other shards`);
  if (count('failed') > 0) totals.push(`${count('failed')} failed`);
  if (count('skipped') > 0) totals.push(`${count('skipped')} not built because a dependency failed`);
  const sccache = sccacheTotal(outcomes);
  const cached = sccache ? `mzbuild: ${formatSccache(sccache)}\n` : '';
  return `${lines.join('\n')}\nmzbuild: ${outcomes.length} ${outcomes.length === 1 ? 'image' : 'images'}: ${totals.join(', ')}\n${cached}`;
}

/** The hits and misses of the run's cargo builds (one, or one more per image that another run failed to build), added up. */
function sccacheTotal(outcomes: Outcome[]): SccacheReport | undefined {
  const reports = [...new Set(outcomes.map((o) => o.cargo?.sccache))].filter((r): r is SccacheReport => r !== undefined);
  if (reports.length === 0) return undefined;
  const unknown = reports.find((r) => 'unknown' in r);
  if (unknown) return unknown;
  return reports.reduce<SccacheReport>((sum, r) => ('unknown' in r || 'unknown' in sum ? sum : { hits: sum.hits + r.hits, misses: sum.misses + r.misses }), { hits: 0, misses: 0 });
}
