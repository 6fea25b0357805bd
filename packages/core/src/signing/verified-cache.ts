// Signatures verified before, remembered across runs in one file, so that an image checked once is not asked of its registry again.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../atomic-file';

/** One verification that succeeded: the image's digest, the key's fingerprint, and the identity it was verified for. */
export interface VerifiedEntry {
  /** `sha256:…` of the image's manifest. */
  digest: string;
  /** PublicKey.fingerprint of the key whose signature verified. */
  key: string;
  /** What the signature named, as `signedIdentity` gives it: `registry/repository:tag`, or `registry/repository`. */
  identity: string;
}

const VERSION = 1;
/** Enough for every image of many repositories' histories; the oldest entries go first. */
const MAX_ENTRIES = 20_000;

/**
 * Positive answers only, which cannot go stale: the digest names the content, and the signature
 * that was seen stays a signature by that key of that content for that identity. A key no longer
 * trusted is no longer asked about, so its entries count for nothing. A negative answer could turn
 * positive (the image signed later), so it is never kept. The file may be deleted at any time,
 * which costs one request per image; one that cannot be read or written is no error.
 */
export class VerifiedCache {
  private readonly added = new Set<string>();

  private constructor(
    private readonly file: string | undefined,
    private readonly entries: Set<string>,
  ) {}

  /** The cache kept in `file` (in the user's cache directory, e.g. hash-cache.ts's cacheFile), read now. */
  static open(file: string): VerifiedCache {
    return new VerifiedCache(file, new Set(readEntries(file)));
  }

  /** A cache for this process only. */
  static inMemory(): VerifiedCache {
    return new VerifiedCache(undefined, new Set());
  }

  has(entry: VerifiedEntry): boolean {
    return this.entries.has(keyOf(entry));
  }

  add(entry: VerifiedEntry): void {
    const key = keyOf(entry);
    if (this.entries.has(key)) return;
    this.entries.add(key);
    this.added.add(key);
  }

  /**
   * Writes what this run added, merged into what the file holds now (another run may have
   * written it since it was read), by a rename. Nothing added, nothing written.
   */
  save(): void {
    if (this.file === undefined || this.added.size === 0) return;
    const merged = new Set(readEntries(this.file));
    for (const key of this.added) merged.add(key);
    const verified = [...merged].slice(-MAX_ENTRIES);
    try {
      writeFileAtomic(this.file, JSON.stringify({ version: VERSION, verified }));
      this.added.clear();
    } catch {
      // Only speed is lost: the images are verified again next time.
    }
  }
}

/** One string per entry; none of its parts holds a space. */
function keyOf(entry: VerifiedEntry): string {
  return `${entry.digest} ${entry.key} ${entry.identity}`;
}

function readEntries(file: string): string[] {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    if (data?.version !== VERSION || !Array.isArray(data.verified)) return [];
    return data.verified.filter((entry: unknown): entry is string => typeof entry === 'string' && entry.split(' ').length === 3);
  } catch {
    return [];
  }
}
