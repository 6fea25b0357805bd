/** The digests of the mzbuild fingerprint (spec §2, §3): self digest, pre-image extras, salts, full digest. */
import { createHash, type Hash } from 'node:crypto';
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
  const out = new BufferedHash(hash);
  for (const path of inputs) {
    const record = hasher.record(path);
    out.uint16(record.mode & 0xffff).text(path).bytes(record.sha1).byte(0);
  }
  out.flush();
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

/**
 * Feeds a hash through one reusable buffer, so that thousands of small pieces cost one update per
 * 64 KiB instead of one each (the bytes hashed are the same).
 */
export class BufferedHash {
  private static readonly scratch = Buffer.allocUnsafe(1 << 16);
  private at = 0;

  constructor(private readonly hash: Hash) {}

  text(value: string): this {
    if (value.length * 3 > BufferedHash.scratch.length) {
      this.flush().hash.update(value, 'utf8');
      return this;
    }
    this.room(value.length * 3);
    this.at += BufferedHash.scratch.write(value, this.at, 'utf8');
    return this;
  }

  bytes(value: Buffer): this {
    if (value.length > BufferedHash.scratch.length) {
      this.flush().hash.update(value);
      return this;
    }
    this.room(value.length);
    this.at += value.copy(BufferedHash.scratch, this.at);
    return this;
  }

  uint16(value: number): this {
    this.room(2);
    this.at = BufferedHash.scratch.writeUInt16BE(value, this.at);
    return this;
  }

  byte(value: number): this {
    this.room(1);
    BufferedHash.scratch[this.at++] = value;
    return this;
  }

  /** Hands what is buffered to the hash; call before using the hash directly, or digesting it. */
  flush(): this {
    if (this.at > 0) this.hash.update(BufferedHash.scratch.subarray(0, this.at));
    this.at = 0;
    return this;
  }

  private room(bytes: number): void {
    if (this.at + bytes > BufferedHash.scratch.length) this.flush();
  }
}
