/** An image's fingerprint digests (spec §2-§5): its own inputs and salts, then its dependencies folded in. */
import { createHash } from 'node:crypto';
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

const NUL = Buffer.from([0]);

/** sha1 over the sorted input records, the pre-images' extras and the salts (spec §2). */
export function selfDigest(inputs: string[], hasher: FileRecordSource, preImages: PreImage[], config: FingerprintConfig): Buffer {
  const hash = createHash('sha1');
  const mode = Buffer.alloc(2);
  for (const path of inputs) {
    const record = hasher.record(path);
    mode.writeUInt16BE(record.mode & 0xffff);
    hash.update(mode);
    hash.update(path, 'utf8');
    hash.update(record.sha1);
    hash.update(NUL);
  }
  for (const step of preImages) {
    hash.update(preImageExtra(step, config), 'utf8');
    hash.update(NUL);
  }
  hash.update(configSalt(config), 'utf8');
  return hash.digest();
}

/** sha1(self ‖ for each direct dependency, by name: name ‖ raw digest ‖ NUL) (spec §3). */
export function fullDigest(self: Buffer, dependencies: { name: string; raw: Buffer }[]): Buffer {
  const hash = createHash('sha1').update(self);
  for (const dependency of [...dependencies].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(dependency.name, 'utf8');
    hash.update(dependency.raw);
    hash.update(NUL);
  }
  return hash.digest();
}
