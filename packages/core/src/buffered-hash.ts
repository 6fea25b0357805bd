/** SHA-1 over many small pieces, through one reusable buffer: one hash call per 64 KiB, not one per piece. */
import { createHash, hash as oneShot, type Hash } from 'node:crypto';

const scratch = Buffer.allocUnsafe(1 << 16);

/**
 * Hashes what is written to it, in order, exactly as if each piece were given to the hash on its
 * own. Pieces are gathered in a buffer shared by all instances, so one instance must be digested
 * before the next is written to (they may not interleave). Input that fits the buffer is hashed
 * in one call, without a Hash object.
 */
export class BufferedHash {
  private hash?: Hash;
  private at = 0;

  text(value: string): this {
    if (value.length * 3 > scratch.length) {
      this.flush().update(value, 'utf8');
      return this;
    }
    this.room(value.length * 3);
    this.at += scratch.write(value, this.at, 'utf8');
    return this;
  }

  bytes(value: Uint8Array): this {
    if (value.length > scratch.length) {
      this.flush().update(value);
      return this;
    }
    this.room(value.length);
    scratch.set(value, this.at);
    this.at += value.length;
    return this;
  }

  /** Two bytes, big-endian. */
  uint16(value: number): this {
    this.room(2);
    scratch[this.at++] = (value >>> 8) & 0xff;
    scratch[this.at++] = value & 0xff;
    return this;
  }

  byte(value: number): this {
    this.room(1);
    scratch[this.at++] = value;
    return this;
  }

  /** The SHA-1 of everything written. */
  digest(): Buffer {
    if (!this.hash) return oneShot('sha1', scratch.subarray(0, this.at), 'buffer');
    return this.flush().digest();
  }

  /** Hands what is gathered to a Hash object, which takes over from here. */
  private flush(): Hash {
    this.hash ??= createHash('sha1');
    if (this.at > 0) this.hash.update(scratch.subarray(0, this.at));
    this.at = 0;
    return this.hash;
  }

  private room(bytes: number): void {
    if (this.at + bytes > scratch.length) this.flush();
  }
}
