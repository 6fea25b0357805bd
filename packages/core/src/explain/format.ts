/** `mzimage explain` as text: per image, its fingerprint then and now, what changed, and each changed dependency indented under it. */
import type { Explanation } from './compare';

export function formatExplanations(explanations: Explanation[]): string {
  return explanations.map((explanation) => lines(explanation, '').join('\n')).join('\n\n') + '\n';
}

function lines(e: Explanation, indent: string): string[] {
  const short = (fingerprint: string | null) => fingerprint ?? '(none)';
  if (e.fingerprint === null) return [`${indent}${e.image}: not in this tree (was ${short(e.against.fingerprint)} at ${e.against.source})`];
  if (e.against.fingerprint === null && e.note !== undefined) return [`${indent}${e.image}: ${e.fingerprint}, ${e.note}: ${e.against.source}`];
  if (e.against.fingerprint === null) return [`${indent}${e.image}: ${e.fingerprint}, new since ${e.against.source}`];
  const note = e.note === undefined ? [] : [`${indent}  ${e.note}`];
  if (e.against.fingerprint === e.fingerprint) return [`${indent}${e.image}: ${e.fingerprint}, unchanged since ${e.against.source}`, ...note];
  const out = [`${indent}${e.image}: ${e.fingerprint}, was ${e.against.fingerprint} at ${e.against.source}`];
  const inner = `${indent}  `;
  out.push(...note);
  for (const [label, paths] of [
    ['changed', e.changed],
    ['added', e.added],
    ['removed', e.removed],
    ['mode', e.modes],
    ['config', e.config],
  ] as const) {
    for (const path of paths) out.push(`${inner}${label.padEnd(8)}${path}`);
  }
  for (const dependency of e.dependencies) out.push(...lines(dependency, inner));
  return out;
}
