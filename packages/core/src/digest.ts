/** The digests of the mzbuild fingerprint (spec §2, §3): self digest, pre-image extras, salts, full digest. */
import { BufferedHash } from './buffered-hash';
import type { FingerprintConfig } from './config';
import type { FileRecordSource } from './file-hasher';
import type { PreImage } from './manifest';

/**
 * `extra()` of a pre-image, with mzbuild's quirk: its flag words are appended to a Python list
 * *character by character*, sorted and joined with commas (spec §2).
 */
export function preImageExtra(step: PreImage, config: FingerprintConfig): string {
  if (step.type !== 'cargo-build') return '';
  const words: string[] = [];
  if (config.profile === 'release') words.push('release');
  if (config.profile === 'optimized') words.push('optimized');
  if (config.coverage) words.push('coverage');
  if (config.sanitizer !== 'none') words.push(config.sanitizer);
  return [...words.join('')].sort().join(',');
}

/** The salts every image gets, with no separators: `profile=Profile.OPTIMIZEDarch=x86_64…mirror=ghcr`. */
export function configSalt(config: FingerprintConfig): string {
  const profile = config.profile.toUpperCase();
  const coverage = config.coverage ? 'True' : 'False';
  return `profile=Profile.${profile}arch=${config.arch}coverage=${coverage}sanitizer=${config.sanitizer}mirror=ghcr`;
}

/** sha1 over the sorted input records, the pre-images' extras and the salts (spec §2). */
export function selfDigest(inputs: string[], hasher: FileRecordSource, preImages: PreImage[], config: FingerprintConfig): Buffer {
  const out = new BufferedHash();
  for (const path of inputs) {
    const record = hasher.record(path);
    out.uint16(record.mode & 0xffff).text(path).bytes(record.sha1).byte(0);
  }
  for (const step of preImages) out.text(preImageExtra(step, config)).byte(0);
  return out.text(configSalt(config)).digest();
}

/** sha1(self ‖ for each direct dependency, by name: name ‖ raw digest ‖ NUL) (spec §3). */
export function fullDigest(self: Buffer, dependencies: { name: string; raw: Buffer }[]): Buffer {
  const out = new BufferedHash().bytes(self);
  for (const dependency of [...dependencies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out.text(dependency.name).bytes(dependency.raw).byte(0);
  }
  return out.digest();
}
