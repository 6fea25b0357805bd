/** Root-relative POSIX paths: partitioning by directory, UTF-8 order, normalising and joining directories. */

/**
 * Assigns each root-relative file to the longest directory of `dirs` that holds it (`file` starts
 * with `dir + "/"`), as mzbuild partitions image contexts and crates. Files in no directory are
 * dropped, but for the root directory '' (a package at the root of a Cargo workspace), which holds
 * every file no other directory does. Walking up a file's own ancestors costs its depth, not the number of directories, and
 * is done once per run of files in one directory (git lists them together).
 */
export function partitionByLongestPrefix(files: Iterable<string>, dirs: Iterable<string>): Map<string, string[]> {
  const partition = new Map<string, string[]>();
  for (const dir of dirs) partition.set(dir, []);
  let parent: string | undefined; // the directory of the previous file…
  let owner: string[] | undefined; // …and the group its files go to
  for (const file of files) {
    const slash = file.lastIndexOf('/');
    if (parent === undefined || slash !== parent.length || !file.startsWith(parent)) {
      parent = slash < 0 ? '' : file.slice(0, slash);
      owner = ownerOf(partition, file, slash);
    }
    owner?.push(file);
  }
  return partition;
}

function ownerOf(partition: Map<string, string[]>, file: string, lastSlash: number): string[] | undefined {
  for (let slash = lastSlash; slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
    const owner = partition.get(file.slice(0, slash));
    if (owner) return owner;
  }
  return partition.get('');
}

/** Whether `file` is `dir` or lies under it, for any directory of `dirs`: a walk up its ancestors. */
export function underAny(file: string, dirs: Set<string>): boolean {
  if (dirs.has(file)) return true;
  for (let slash = file.lastIndexOf('/'); slash > 0; slash = file.lastIndexOf('/', slash - 1)) {
    if (dirs.has(file.slice(0, slash))) return true;
  }
  return false;
}

/** Orders paths by their UTF-8 bytes, as Python's `sorted()` orders `str` (not by UTF-16 units). */
export function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function sortUtf8(paths: Iterable<string>): string[] {
  const list = [...paths];
  // Plain string comparison agrees with UTF-8 byte order except for astral characters, so only
  // pay for the byte comparison when a path has a surrogate pair.
  return list.some((p) => /[\uD800-\uDFFF]/.test(p)) ? list.sort(compareUtf8) : list.sort();
}

/** Normalises a relative directory as Python's pathlib would: no `./`, no trailing or doubled slashes. */
export function normaliseDir(dir: string): string {
  return dir
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

/** A root-relative path inside a root-relative directory ('' being the root). */
export function within(dir: string, path: string): string {
  return dir === '' ? path : `${dir}/${path}`;
}
