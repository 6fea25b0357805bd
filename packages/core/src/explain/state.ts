/**
 * What `explain` compares of an image, on each side: its fingerprint, each input's mode and
 * content digest, the configuration that salts it, and its dependencies' fingerprints. The same
 * record, serialised, is what travels with a published image (its inputs record).
 */
import type { Config } from '../config';
import type { MzbuildContext } from '../context';
import type { Image } from '../repository';
import { preImageExtra } from '../digest';
import { dependencyOrder } from '../repository';

export interface ImageState {
  image: string;
  fingerprint: string;
  /** By root-relative path: git's mode and the SHA-1 of the content (hex). */
  inputs: Map<string, { mode: number; sha1: string }>;
  /** What salts every fingerprint (docs/fingerprint.md §2), and the fingerprint mode. */
  config: Record<string, string>;
  /** Each pre-image step's extra (digest.ts), in order: what of the configuration a pre-image folds in. */
  extras: string[];
  /** Direct dependency → its fingerprint. */
  dependencies: Record<string, string>;
  /**
   * A state known by its fingerprint alone, and why (a published image without a readable inputs
   * record): nothing else of it can be compared.
   */
  note?: string;
}

/** The configuration's parts that change fingerprints, by the names `explain` reports them under. */
export function configState(config: Pick<Config, 'profile' | 'arch' | 'coverage' | 'sanitizer' | 'compat'>): Record<string, string> {
  return { profile: config.profile, arch: config.arch, coverage: String(config.coverage), sanitizer: config.sanitizer, mode: config.compat };
}

/** The states of `targets` and every image they build on, as the session's tree gives them. */
export async function imageStates(context: MzbuildContext, targets: Image[]): Promise<Map<string, ImageState>> {
  const { resolver, config, repository } = context;
  const resolved = await resolver.resolve(dependencyOrder(targets, repository.byName), config);
  const fingerprints = new Map(resolved.map((r) => [r.image.name, r.fingerprint]));
  const states = new Map<string, ImageState>();
  for (const r of resolved) {
    const inputs = new Map<string, { mode: number; sha1: string }>();
    for (const path of r.inputs) {
      const record = resolver.record(path);
      inputs.set(path, { mode: record.mode, sha1: record.sha1.toString('hex') });
    }
    const dependencies = Object.fromEntries(r.image.dependencies.map((name) => [name, fingerprints.get(name)!]));
    states.set(r.image.name, { image: r.image.name, fingerprint: r.fingerprint, inputs, config: configState(config), extras: r.image.manifest.preImages.map((step) => preImageExtra(step, config)), dependencies });
  }
  return states;
}
