/** A commit's tree, read from git objects alone: every entry by `git ls-tree`, blobs by one `git cat-file --batch`. */
import { spawn } from 'node:child_process';
import { gitEnv, GitError, runGit } from '../git';
import { UserError } from '../errors';

export interface TreeEntry {
  /** Git's mode: 0o100644, 0o100755, 0o120000 (a symlink, whose blob is its target), 0o160000 (a submodule). */
  mode: number;
  oid: string;
}

export const SUBMODULE = 0o160000;

/** The entries of the tree of `commit`, and its directories, as root-relative paths. */
export class RevisionTree {
  private constructor(
    private readonly root: string,
    /** The full commit id the revision names. */
    readonly commit: string,
    readonly entries: Map<string, TreeEntry>,
    /** Every directory ('' the root) with the names in it. */
    readonly dirs: Map<string, string[]>,
  ) {}

  /** The tree of `rev` (a commit, branch, tag or any revision git understands). */
  static async open(root: string, rev: string): Promise<RevisionTree> {
    let commit: string;
    try {
      commit = (await runGit(root, ['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
    } catch (error) {
      if (error instanceof GitError) throw new UserError(`--rev ${rev}: not a commit of the repository at ${root} (${error.output.split('\n')[0]})`);
      throw error;
    }
    const listing = await runGit(root, ['ls-tree', '-r', '-z', '--full-tree', commit]);
    const entries = new Map<string, TreeEntry>();
    const dirs = new Map<string, string[]>([['', []]]);
    for (const line of listing.split('\0')) {
      if (line === '') continue;
      // "<mode> SP <type> SP <oid> TAB <path>"
      const tab = line.indexOf('\t');
      const [mode, , oid] = line.slice(0, tab).split(' ');
      const path = line.slice(tab + 1);
      entries.set(path, { mode: parseInt(mode!, 8), oid: oid! });
      addToDirs(dirs, path);
    }
    return new RevisionTree(root, commit, entries, dirs);
  }

  /**
   * The contents of the blobs `oids`, each given to `use` as it is read, through one `git cat-file
   * --batch`: one process for any number of blobs, and no blob kept once it is used.
   */
  readBlobs(oids: Iterable<string>, use: (oid: string, content: Buffer) => void): Promise<void> {
    const wanted = [...new Set(oids)];
    if (wanted.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const child = spawn('git', ['cat-file', '--batch'], { cwd: this.root, stdio: ['pipe', 'pipe', 'pipe'], env: gitEnv });
      const reader = new BatchReader(use);
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        try {
          reader.feed(chunk);
        } catch (error) {
          child.kill();
          reject(error);
        }
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', (error) => reject(new UserError(`git cat-file could not start: ${error.message}`)));
      child.on('close', (code) => {
        if (code !== 0) reject(new UserError(`git cat-file --batch failed in ${this.root}: ${stderr.trim() || `exit ${code}`}`));
        else if (reader.count !== wanted.length) reject(new UserError(`git cat-file --batch gave ${reader.count} of ${wanted.length} objects`));
        else resolve();
      });
      child.stdin.end(`${wanted.join('\n')}\n`);
    });
  }
}

function addToDirs(dirs: Map<string, string[]>, path: string): void {
  const slash = path.lastIndexOf('/');
  const parent = slash < 0 ? '' : path.slice(0, slash);
  let names = dirs.get(parent);
  if (!names) {
    dirs.set(parent, (names = []));
    addToDirs(dirs, parent);
  }
  names.push(slash < 0 ? path : path.slice(slash + 1));
}

/**
 * Parses `git cat-file --batch` output: "<oid> <type> <size>\n<content>\n" per object. Chunks
 * are kept in a list until an object is whole, so a large blob is copied once, not once a chunk.
 */
class BatchReader {
  count = 0;
  private chunks: Buffer[] = [];
  private length = 0;
  private current?: { oid: string; size: number };

  constructor(private readonly use: (oid: string, content: Buffer) => void) {}

  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    for (;;) {
      if (!this.current) {
        const pending = this.take(this.length);
        const newline = pending.indexOf(10);
        this.put(pending);
        if (newline < 0) return;
        const header = this.take(newline + 1).subarray(0, newline).toString();
        const [oid, type, size] = header.split(' ');
        if (type === 'missing' || size === undefined) throw new UserError(`git object ${oid} is missing from the repository`);
        this.current = { oid: oid!, size: Number(size) };
      }
      if (this.length < this.current.size + 1) return;
      const content = this.take(this.current.size + 1);
      this.use(this.current.oid, content.subarray(0, this.current.size));
      this.current = undefined;
      this.count++;
    }
  }

  /** The first `n` bytes, removed from the pending chunks. */
  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.length = all.length - n;
    return all.subarray(0, n);
  }

  /** Puts bytes back in front of the pending ones. */
  private put(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.chunks.unshift(bytes);
    this.length += bytes.length;
  }
}
