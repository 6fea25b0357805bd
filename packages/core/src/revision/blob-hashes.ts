/**
 * The SHA-1 of each git blob's content, by the blob's object id, remembered across runs: an
 * object id names its content, so an entry can never be stale, and a commit read again (`--rev`,
 * `explain --since`) reads only the blobs no earlier run read.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file';

/** Enough for the inputs of many commits of a large repository; the oldest entries go first. */
const MAX_ENTRIES = 200_000;
/** A 40-hex object id and a 40-hex SHA-1 per line. */
const LINE = /^([0-9a-f]{40}) ([0-9a-f]{40})$/;

export class BlobHashes {
  private readonly added = new Map<string, Buffer>();

  private constructor(
    private readonly file: string | undefined,
    private readonly known: Map<string, Buffer>,
  ) {}

  /** The hashes kept in `file` (hash-cache.ts's cacheFile), read now; a file that cannot be read is an empty cache. */
  static open(file: string): BlobHashes {
    const known = new Map<string, Buffer>();
    try {
      for (const line of readFileSync(file, 'latin1').split('\n')) {
        const match = LINE.exec(line);
        if (match) known.set(match[1]!, Buffer.from(match[2]!, 'hex'));
      }
    } catch {
      // None yet, or unreadable: every blob is read.
    }
    return new BlobHashes(file, known);
  }

  static inMemory(): BlobHashes {
    return new BlobHashes(undefined, new Map());
  }

  get(oid: string): Buffer | undefined {
    return this.known.get(oid) ?? this.added.get(oid);
  }

  set(oid: string, sha1: Buffer): void {
    if (!this.known.has(oid)) this.added.set(oid, sha1);
  }

  /** Adds this run's hashes to the file; one that cannot be written only means reading the blobs again. */
  save(): void {
    if (!this.file || this.added.size === 0) return;
    const entries = [...this.known, ...this.added].slice(-MAX_ENTRIES);
    try {
      writeFileAtomic(this.file, entries.map(([oid, sha1]) => `${oid} ${sha1.toString('hex')}\n`).join(''));
      this.added.clear();
    } catch {
      // The next run reads the blobs again.
    }
  }
}
