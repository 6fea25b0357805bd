// The cache's entries in the registry: looked up (trusted, checked, spooled) and stored (immutable, the archive streamed, the tag written last).
import type { Readable } from 'node:stream';
import type { RegistryClient } from '../registry/client';
import type { PublicKey, SigningKey } from '../signing/keys';
import type { VerifiedCache } from '../signing/verified-cache';
import { ENTRY_KIND, entryManifest, entryTag } from './artifact';
import { spool, type Spooled } from './spool';

export interface CacheStoreOptions {
  client: RegistryClient;
  /** Where entries are written, and read first: `registry/path`. */
  repository: string;
  /** Further repositories entries are read from, never written to (a pull request's job reading main's). */
  readFrom?: string[];
  /** Part of every tag: see entryTag. */
  platform: string;
  /** The largest archive stored or served. */
  maxBytes: number;
  /** Signs every entry written, as images are signed. */
  signingKey?: SigningKey;
  /** When there are some, only entries one of them signed are served. */
  trustedKeys?: readonly PublicKey[];
  verifiedCache?: VerifiedCache;
  /** Where archives too large for memory wait while they are checked; default the system's. */
  spoolDir?: string;
}

/** A lookup: the checked archive, or a miss, with why when it is worth telling (an entry that is not ours or not trusted). */
export type Lookup = { hit: Spooled } | { miss: 'absent' } | { miss: 'untrusted' | 'invalid'; reason: string; reference: string };

export type StoreOutcome = 'stored' | 'exists';

/**
 * Nx's cache in a registry. A lookup reads the entry's manifest by its tag, refuses what is not
 * an entry or (with trusted keys) not signed by one of them, and reads the archive whole before
 * anything is served. A store writes nothing under a tag that exists (entries are immutable), and
 * writes the tag last, after the archive (its digest checked by the registry), the config and the
 * signature: an upload cut short never becomes an entry. Registry failures are thrown, for the
 * caller to turn into a miss or a refusal.
 */
export class CacheStore {
  /** Stores under way, by hash: a second writer of one hash is told it exists rather than racing the first. */
  private readonly writing = new Set<string>();

  constructor(private readonly options: CacheStoreOptions) {}

  reference(repository: string, hash: string): string {
    return `${repository}:${entryTag(this.options.platform, hash)}`;
  }

  async lookup(hash: string): Promise<Lookup> {
    const { client, repository, readFrom = [], maxBytes, trustedKeys = [] } = this.options;
    let refused: Lookup | undefined;
    for (const repo of [repository, ...readFrom]) {
      const reference = this.reference(repo, hash);
      const found = await client.findArtifact(reference, ENTRY_KIND, { maxBytes, trustedKeys, ...(this.options.verifiedCache ? { cache: this.options.verifiedCache } : {}) });
      if (!found.found) {
        if (found.why !== 'absent') refused ??= { miss: found.why, reason: found.reason, reference };
        continue;
      }
      const blob = await client.readBlob(repo, found.layer.digest);
      if (!blob) continue; // a manifest whose archive the registry lost
      return { hit: await spool(blob.body, found.layer, this.options.spoolDir) };
    }
    return refused ?? { miss: 'absent' };
  }

  /** Stores `body` (of `size` bytes, when Nx said) under `hash`, unless an entry is there or being written. */
  async store(hash: string, body: Readable, size: number | undefined): Promise<StoreOutcome> {
    if (this.writing.has(hash)) return 'exists';
    this.writing.add(hash);
    try {
      return await this.write(hash, body, size);
    } finally {
      this.writing.delete(hash);
    }
  }

  private async write(hash: string, body: Readable, size: number | undefined): Promise<StoreOutcome> {
    const { client, repository, maxBytes, signingKey } = this.options;
    const reference = this.reference(repository, hash);
    if (await client.tagExists(reference)) return 'exists';
    const layer = await client.uploadBlobStream(repository, body, { ...(size === undefined ? {} : { size }), maxBytes });
    const manifest = entryManifest(layer, hash);
    // Another server may have stored the hash while this one uploaded: the first entry stays.
    // (Registries have no conditional PUT; two writers closer together than this HEAD and the PUT
    // both write whole, valid entries, and the tag names the last.)
    if (await client.tagExists(reference)) return 'exists';
    // Signed before the tag exists, so that no reader finds it unsigned; the tag last.
    await client.writeArtifact(reference, manifest, signingKey);
    return 'stored';
  }
}
