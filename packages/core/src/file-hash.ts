/** One input file's git mode and the SHA-1 of its content, as mzbuild takes them (through a symlink, the content of what it points to). */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Git-style modes, from lstat of the working tree (spec §2). */
export const SYMLINK = 0o120000;
export const EXECUTABLE = 0o100755;
export const REGULAR = 0o100644;

export function gitMode(stat: Stats): number {
  return stat.isSymbolicLink() ? SYMLINK : stat.mode & 0o100 ? EXECUTABLE : REGULAR;
}

/** A file's mode and the SHA-1 of its content (following a symlink, as Python's open() does). */
export interface FileRecord {
  mode: number;
  sha1: Buffer;
}

/**
 * Hashes files through one reusable buffer, so that reading thousands of inputs allocates
 * nothing per file. Used by the main thread and by the hashing worker alike.
 */
export class ContentHasher {
  private readonly buffer = Buffer.allocUnsafe(1 << 20);

  /** Throws Node's own error (ENOENT, EISDIR…) for a file that cannot be read. */
  record(absolute: string, stat: Stats = lstatSync(absolute)): FileRecord {
    const mode = gitMode(stat);
    const hash = createHash('sha1');
    const fd = openSync(absolute, 'r');
    try {
      for (let n; (n = readSync(fd, this.buffer, 0, this.buffer.length, null)) > 0; ) hash.update(this.buffer.subarray(0, n));
    } finally {
      closeSync(fd);
    }
    return { mode, sha1: hash.digest() };
  }
}
