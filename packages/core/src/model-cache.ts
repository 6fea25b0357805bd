/** What parsing a repository's manifests, Dockerfiles and Cargo files gave, remembered between runs while those files are unchanged. */
import { readFileSync, type Stats } from 'node:fs';
import type { SharedOptions } from './config';
import { rememberable, statKey } from './file-stats';
import { writeFileAtomic } from './atomic-file';
import { cacheFile } from './hash-cache';
import type { Manifest } from './manifest/types';

/** A manifest as parsed, with its Dockerfile as read. */
export interface ImageEntry {
  manifest: Manifest;
  warnings: string[];
  dockerfile: string;
}

/**
 * The answers the Cargo model was built from, each asked again to check the model: a file's
 * lstat key (null: nothing there), the names in a directory, whether a path is a directory or
 * exists at all.
 */
export type CargoProbe = ['read', string, string | null] | ['list', string, string[]] | ['dir', string, boolean] | ['exists', string, boolean];

export interface CargoEntry {
  probes: CargoProbe[];
  /** Both fingerprint modes' models (cargo/workspace.ts's CargoModels). */
  models: unknown;
}

interface Data {
  version: string;
  /** By manifest path: the lstat keys of it and its Dockerfile, and what they gave. */
  images: Record<string, [string, string, ImageEntry]>;
  cargo?: CargoEntry;
  /** nx.json's path, its lstat key, and the plugin options it gave. */
  options?: [string, string, SharedOptions | null];
  /** Self digests by a digest of everything they were computed from (see Resolver). */
  digests: Record<string, string>;
  /** Values a caller derives from its own key alone (the Nx plugin's checked options). */
  memo?: Record<string, unknown>;
}

// The package version: what a version of mzbuild caches, another may read differently.
const VERSION = `2:${(require('../package.json') as { version: string }).version}`;

/**
 * Parsed manifests, the Cargo model and the plugin options, kept in the user's cache directory
 * beside the hash cache, each valid only while every file it was read from has the lstat key it
 * had then (and, for the Cargo model, every directory listing and existence check it made gives
 * the same answer). As in the hash cache, nothing read from a file changed within two seconds
 * before the run, or from a symbolic link, is remembered. Written atomically; deleting it only
 * costs the next run the parsing.
 */
export class ModelCache {
  /** When this run started reading: what it remembers was read after this. */
  readonly openedAt = Date.now();
  /** What the cache answered for this run, and what had to be parsed or computed. */
  readonly counts = { manifests: { cached: 0, parsed: 0 }, cargo: { cached: 0, parsed: 0 }, selfDigests: { cached: 0, computed: 0 } };
  private readonly data: Data;
  private readonly next: Data = { version: VERSION, images: {}, digests: {}, memo: {} };
  /** What this run asked for: what it did not ask for is kept as it was. */
  private readonly consulted = { images: new Set<string>(), cargo: false, options: false };
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly racyMs: number,
  ) {
    this.data = file ? readData(file) : { version: VERSION, images: {}, digests: {}, memo: {} };
  }

  static forRepository(root: string, env: NodeJS.ProcessEnv = process.env, racyMs = 2000): ModelCache {
    return new ModelCache(cacheFile(root, 'model', 'json', env), racyMs);
  }

  /** A cache that remembers nothing between runs. */
  static none(): ModelCache {
    return new ModelCache(undefined, 2000);
  }

  /** Whether it remembers between runs: without, nothing need be stat-ed for it. */
  get persistent(): boolean {
    return this.file !== undefined;
  }

  /** The image of `manifestFile` as last parsed, if it and its Dockerfile have the lstat keys they had then. */
  image(manifestFile: string, manifestStat: Stats | undefined, dockerfileStat: Stats | undefined): ImageEntry | undefined {
    this.consulted.images.add(manifestFile);
    const cached = this.data.images[manifestFile];
    if (!cached || !manifestStat || !dockerfileStat) return undefined;
    if (cached[0] !== statKey(manifestStat) || cached[1] !== statKey(dockerfileStat)) return undefined;
    this.next.images[manifestFile] = cached;
    return cached[2];
  }

  /** Remembers a parse; `manifestStat` and `dockerfileStat` were taken before the files were read. */
  rememberImage(manifestFile: string, manifestStat: Stats | undefined, dockerfileStat: Stats | undefined, entry: ImageEntry): void {
    if (!manifestStat || !dockerfileStat || !this.rememberable(manifestStat) || !this.rememberable(dockerfileStat)) return;
    this.next.images[manifestFile] = [statKey(manifestStat), statKey(dockerfileStat), entry];
    this.changed = true;
  }

  /** The Cargo model as last built, for the caller to check with its probes. */
  get cargo(): CargoEntry | undefined {
    this.consulted.cargo = true;
    return this.data.cargo;
  }

  /** Keeps the remembered Cargo model, which its probes have confirmed. */
  keepCargo(): void {
    this.next.cargo = this.data.cargo;
  }

  /** Remembers a Cargo model; the caller has checked that every file it read may be remembered. */
  rememberCargo(entry: CargoEntry): void {
    this.next.cargo = entry;
    this.changed = true;
  }

  /** The plugin options `file` (as shown in messages) gave, if its lstat key is the same. */
  pluginOptions(file: string, stat: Stats | undefined): SharedOptions | null | undefined {
    this.consulted.options = true;
    const cached = this.data.options;
    if (!cached || !stat || cached[0] !== file || cached[1] !== statKey(stat)) return undefined;
    this.next.options = cached;
    return cached[2];
  }

  rememberPluginOptions(file: string, stat: Stats | undefined, options: SharedOptions | undefined): void {
    if (!stat || !this.rememberable(stat)) return;
    this.next.options = [file, statKey(stat), options ?? null];
    this.changed = true;
  }

  selfDigest(key: string): Buffer | undefined {
    const hex = this.data.digests[key] ?? this.next.digests[key];
    if (hex === undefined) return undefined;
    this.next.digests[key] = hex;
    this.counts.selfDigests.cached++;
    return Buffer.from(hex, 'hex');
  }

  rememberSelfDigest(key: string, digest: Buffer): void {
    this.counts.selfDigests.computed++;
    this.next.digests[key] = digest.toString('hex');
    this.changed = true;
  }

  /** A value remembered under `key`, which must name everything the value was derived from. */
  memo(key: string): unknown {
    const value = this.data.memo?.[key] ?? this.next.memo![key];
    if (value !== undefined) this.next.memo![key] = value;
    return value;
  }

  rememberMemo(key: string, value: unknown): void {
    this.next.memo![key] = value;
    this.changed = true;
  }

  /** Whether what was read of a file with this stat, after openedAt, may be remembered. */
  rememberable(stat: Stats): boolean {
    return rememberable(stat, this.openedAt, this.racyMs);
  }

  /**
   * Writes what this run used or learnt, atomically. What it did not ask for is kept (the CLI and
   * the Nx plugin share the file, and may see different manifests), but with `pruneImages` (the
   * CLI, which asks for every manifest git lists) the entries of manifests it did not ask for
   * are dropped; digests and memos of other runs are kept up to a bound. A cache that cannot be
   * written is no error.
   */
  save({ pruneImages = false }: { pruneImages?: boolean } = {}): void {
    if (!this.file) return;
    let dropped = false;
    for (const [file, entry] of Object.entries(this.data.images)) {
      if (this.next.images[file] !== undefined) continue;
      if (this.consulted.images.has(file) || pruneImages) dropped = true;
      else this.next.images[file] = entry;
    }
    if (this.consulted.cargo) dropped ||= this.data.cargo !== undefined && this.next.cargo === undefined;
    else this.next.cargo = this.data.cargo;
    if (this.consulted.options) dropped ||= this.data.options !== undefined && this.next.options === undefined;
    else this.next.options = this.data.options;
    if (!this.changed && !dropped) return;
    // Digests of other configurations (another arch or profile) are kept, up to a bound.
    keep(this.data.digests, this.next.digests, 4 * Math.max(16, Object.keys(this.next.images).length));
    keep(this.data.memo ?? {}, this.next.memo!, 32);
    try {
      writeFileAtomic(this.file, JSON.stringify(this.next));
    } catch {
      // Only speed is lost.
    }
  }
}

/** Adds entries of `from` that `to` lacks, until `to` has `bound`. */
function keep<T>(from: Record<string, T>, to: Record<string, T>, bound: number): void {
  let room = bound - Object.keys(to).length;
  for (const [key, value] of Object.entries(from)) {
    if (room <= 0) break;
    if (to[key] === undefined) {
      to[key] = value;
      room--;
    }
  }
}

function readData(file: string): Data {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Data;
    if (data?.version === VERSION && typeof data.images === 'object' && typeof data.digests === 'object') return data;
  } catch {
    // Missing or corrupt: start afresh.
  }
  return { version: VERSION, images: {}, digests: {}, memo: {} };
}
