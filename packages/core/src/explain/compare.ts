/** Why two fingerprints of an image differ: the inputs that changed, were added or removed, changed modes, the configuration, and, recursively, the dependencies. */
import { sortUtf8 } from '../paths';
import type { ImageState } from './state';

export interface Explanation {
  image: string;
  /** Now; null for an image that is not there any more (a dependency on the other side only). */
  fingerprint: string | null;
  /** The other side: its fingerprint (null: the image was not there) and what it was (a revision, a reference). */
  against: { fingerprint: string | null; source: string };
  changed: string[];
  added: string[];
  removed: string[];
  modes: string[];
  config: string[];
  dependencies: Explanation[];
  /** Why there are no reasons though the fingerprints differ: the other side is known by its fingerprint alone (no inputs record). */
  note?: string;
}

/** Finds an image's state on one side, by name; undefined where that side has no such image. */
export type StateLookup = (image: string) => ImageState | undefined;

/**
 * The explanation for `image`, whose state now is `now(image)`, against `then`. Dependencies are
 * explained only where their fingerprints differ, each once per explanation however many paths
 * reach it.
 */
export function explain(image: string, now: StateLookup, then: StateLookup, source: string): Explanation {
  const current = now(image);
  const before = then(image);
  const explanation: Explanation = {
    image,
    fingerprint: current?.fingerprint ?? null,
    against: { fingerprint: before?.fingerprint ?? null, source },
    changed: [],
    added: [],
    removed: [],
    modes: [],
    config: [],
    dependencies: [],
  };
  // Said even when the fingerprints agree: who reads it learns the record is missing before it is needed.
  if (before?.note !== undefined) explanation.note = before.note;
  if (!current || !before || current.fingerprint === before.fingerprint || before.note !== undefined) return explanation;
  for (const [path, record] of current.inputs) {
    const old = before.inputs.get(path);
    if (!old) explanation.added.push(path);
    else {
      if (old.sha1 !== record.sha1) explanation.changed.push(path);
      if (old.mode !== record.mode) explanation.modes.push(path);
    }
  }
  for (const path of before.inputs.keys()) if (!current.inputs.has(path)) explanation.removed.push(path);
  for (const key of new Set([...Object.keys(current.config), ...Object.keys(before.config)])) {
    if (current.config[key] !== before.config[key]) explanation.config.push(key);
  }
  // The pre-images' extras follow the configuration and mzbuild.yml; told apart only when those do not explain them.
  if (explanation.config.length === 0 && JSON.stringify(current.extras) !== JSON.stringify(before.extras)) explanation.config.push('pre-image');
  for (const name of Object.keys(current.dependencies).sort()) {
    if (current.dependencies[name] !== before.dependencies[name]) explanation.dependencies.push(explain(name, now, then, source));
  }
  for (const key of ['changed', 'added', 'removed', 'modes', 'config'] as const) explanation[key] = sortUtf8(explanation[key]);
  return explanation;
}

/** One line of why an image is not reused: for build summaries. */
export function reasonLine(explanation: Explanation): string {
  const { against } = explanation;
  if (against.fingerprint === null) return `not at ${against.source}`;
  if (against.fingerprint === explanation.fingerprint) return `unchanged since ${against.source}`;
  if (explanation.note !== undefined) return `${explanation.note} (${against.source})`;
  const files = [...explanation.changed, ...explanation.added, ...explanation.removed, ...explanation.modes];
  const parts: string[] = [];
  if (files.length > 0) {
    const shown = [...new Set(files)].slice(0, 3).join(', ');
    parts.push(`${new Set(files).size} input${files.length === 1 ? '' : 's'} changed since ${against.source}: ${shown}${new Set(files).size > 3 ? ', …' : ''}`);
  }
  if (explanation.config.length > 0) parts.push(`configuration changed: ${explanation.config.join(', ')}`);
  const deps = explanation.dependencies.map((d) => d.image);
  if (deps.length > 0) parts.push(`dependenc${deps.length === 1 ? 'y' : 'ies'} changed: ${deps.join(', ')}`);
  return parts.join('; ') || `changed since ${against.source}`;
}
