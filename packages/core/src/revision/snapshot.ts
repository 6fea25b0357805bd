/**
 * What the tree of a commit gives in place of the working tree (`--rev`): its files (a clean
 * checkout's git-visible files are its tracked files), the text of manifests, Dockerfiles and
 * Cargo files, and each input's mode and content hash, from git objects alone: no checkout, no
 * index, nothing written.
 */
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { posix } from 'node:path';
import type { CargoFiles } from '../cargo/workspace';
import { UserError } from '../errors';
import { ContentHasher, SYMLINK, type FileRecord } from '../file-hash';
import { BlobHashes } from './blob-hashes';
import { RevisionTree, SUBMODULE, type TreeEntry } from './tree';

/** How many symlinks deep a path is followed, as the kernel's limit. */
const MAX_LINKS = 40;

export class RevisionSnapshot {
  /** The tree's files, submodules left out (a checkout holds no files of theirs). */
  readonly files: string[];
  readonly counts = { hashed: 0, cached: 0 };
  private readonly texts = new Map<string, string>();
  private readonly records = new Map<string, FileRecord>();

  private readonly linkTargets = new Map<string, string>();
  private linksRead = false;

  private constructor(
    private readonly root: string,
    readonly tree: RevisionTree,
    /** sha1 of each blob's content, by object id: the same blob in two paths, or two runs, is read once. */
    private readonly blobHashes: BlobHashes,
  ) {
    this.files = [...tree.entries].filter(([, entry]) => entry.mode !== SUBMODULE).map(([path]) => path);
  }

  /** The snapshot of `rev`, with the text of every file the image model reads already read. */
  static async load(root: string, rev: string, blobHashes: BlobHashes = BlobHashes.inMemory()): Promise<RevisionSnapshot> {
    const snapshot = new RevisionSnapshot(root, await RevisionTree.open(root, rev), blobHashes);
    const wanted = snapshot.files.filter((path) => /(^|\/)(mzbuild\.yml|Dockerfile|Cargo\.toml)$/.test(path));
    const byOid = new Map<string, string[]>();
    for (const path of wanted) {
      const entry = snapshot.tree.entries.get(path)!;
      if (entry.mode === SYMLINK) continue; // a linked manifest is not read through: rare, and unreadable as a checkout's would be
      byOid.set(entry.oid, [...(byOid.get(entry.oid) ?? []), path]);
    }
    await snapshot.tree.readBlobs(byOid.keys(), (oid, content) => {
      for (const path of byOid.get(oid)!) snapshot.texts.set(path, content.toString('utf8'));
    });
    return snapshot;
  }

  get commit(): string {
    return this.tree.commit;
  }

  /** The text of a manifest, Dockerfile or Cargo.toml of the tree; undefined when the tree has none there. */
  readonly text = (path: string): string | undefined => this.texts.get(path);

  /** Whether the tree has a file or directory at `path`, as a clean checkout would. */
  readonly exists = (path: string): boolean => this.tree.entries.has(path) || this.tree.dirs.has(path);

  /** The Cargo model's reader over the tree. */
  cargoFiles(): CargoFiles {
    return {
      read: (path) => this.texts.get(path),
      list: (dir) => [...(this.tree.dirs.get(dir) ?? [])],
      isDirectory: (path) => this.tree.dirs.has(path),
      exists: (path) => this.exists(path),
    };
  }

  /** Reads and hashes, in one batch (after the tree's symlinks, the first time), the inputs not known yet. */
  async prefetch(paths: Iterable<string>): Promise<void> {
    const unknown = [...new Set(paths)].filter((path) => !this.records.has(path));
    if (!this.linksRead) {
      // Every link of the tree at once (links are few): a chain of links then resolves in memory.
      const links = [...this.tree.entries.values()].filter((entry) => entry.mode === SYMLINK).map((entry) => entry.oid);
      await this.tree.readBlobs(links, (oid, content) => this.linkTargets.set(oid, content.toString('utf8')));
      this.linksRead = true;
    }
    const blobs = new Set<string>();
    for (const path of unknown) {
      const target = this.target(path);
      if (target && typeof target !== 'string') {
        if (this.blobHashes.get(target.oid)) this.counts.cached++;
        else blobs.add(target.oid);
      }
    }
    await this.tree.readBlobs(blobs, (oid, content) => {
      this.blobHashes.set(oid, createHash('sha1').update(content).digest());
      this.counts.hashed++;
    });
  }

  /** The input's mode (from the tree entry) and the hash of its content (through a symlink, of what it points to). */
  record(path: string): FileRecord {
    let record = this.records.get(path);
    if (record) return record;
    const entry = this.tree.entries.get(path);
    if (!entry || entry.mode === SUBMODULE) {
      throw new UserError(`${path}: is an input file but commit ${this.commit.slice(0, 12)} has no such file`);
    }
    const target = this.target(path);
    if (target === undefined) throw new UserError(`${path}: is an input file but cannot be read at commit ${this.commit.slice(0, 12)} (a symlink to nothing)`);
    const sha1 = typeof target === 'string' ? new ContentHasher().record(target).sha1 : this.blobHashes.get(target.oid);
    if (!sha1) throw new Error(`${path}: not prefetched`);
    record = { mode: entry.mode, sha1 };
    this.records.set(path, record);
    return record;
  }

  /** Remembers the blobs' hashes for the next run. */
  saveCache(): void {
    this.blobHashes.save();
  }

  /**
   * The tree entry whose content `path` has, following symlinks inside the tree; an absolute
   * path for a link out of the repository that exists on this machine (a checkout follows it the
   * same way); undefined for a link to nothing. The link targets must have been read.
   */
  private target(path: string): TreeEntry | string | undefined {
    let current = path;
    for (let depth = 0; depth <= MAX_LINKS; depth++) {
      const entry = this.tree.entries.get(current);
      if (!entry || entry.mode === SUBMODULE) return undefined;
      if (entry.mode !== SYMLINK) return entry;
      const link = this.linkTargets.get(entry.oid);
      if (link === undefined) return undefined;
      if (posix.isAbsolute(link)) return lstatSync(link, { throwIfNoEntry: false })?.isFile() ? link : undefined;
      current = posix.normalize(posix.join(posix.dirname(current), link));
      if (current.startsWith('../')) {
        const outside = posix.join(this.root, current);
        return lstatSync(outside, { throwIfNoEntry: false })?.isFile() ? outside : undefined;
      }
    }
    return undefined;
  }
}
