/** What acquiring did to each image, and the summary line Nx and mzimage print for it. */
/** What happened to one image in a run. */
export interface Outcome {
  name: string;
  reference: string;
  result: 'local' | 'pulled' | 'in registry' | 'built' | 'failed' | 'skipped';
  seconds: number;
  /** For failed and skipped images: why. */
  error?: string;
}

/** The closing summary: a line per image, then the counts; failures named with their reason. */
export function formatSummary(outcomes: Outcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length), 5);
  const lines = outcomes.map((o) => {
    const time = o.result === 'built' || o.result === 'pulled' ? ` in ${o.seconds.toFixed(1)} s` : '';
    const why = o.error ? `: ${o.error}` : '';
    return `  ${o.name.padEnd(width)}  ${(o.result + time).padEnd(18)}  ${o.reference}${why}`;
  });
  const count = (result: Outcome['result']) => outcomes.filter((o) => o.result === result).length;
  const totals = [
    `${count('built')} built`,
    `${count('pulled') + count('in registry')} from the registry`,
    `${count('local')} found locally`,
  ];
  if (count('failed') > 0) totals.push(`${count('failed')} failed`);
  if (count('skipped') > 0) totals.push(`${count('skipped')} not built because a dependency failed`);
  return `${lines.join('\n')}\nmzbuild: ${outcomes.length} ${outcomes.length === 1 ? 'image' : 'images'}: ${totals.join(', ')}\n`;
}
