/**
 * Warnings already said, so that one which would repeat on every run of every command (an
 * unknown manifest key mzbuild ignores too) is said once per change of the file it is about,
 * whichever of mzimage and Nx says it first. `mzimage list --check` says them all, always.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file';
import { cacheFile } from './hash-cache';

export class SaidWarnings {
  private readonly said: Set<string>;
  private changed = false;

  private constructor(
    private readonly root: string,
    private readonly file: string | undefined,
  ) {
    this.said = new Set(file === undefined ? [] : readLines(file));
  }

  /** The store of the repository at `root`, in the user's cache directory (beside the hash cache). */
  static forRepository(root: string, env: NodeJS.ProcessEnv): SaidWarnings {
    return new SaidWarnings(root, cacheFile(root, 'said-warnings', 'txt', env));
  }

  /**
   * The warnings not said since the file they are about last changed (`path:line:column: …`,
   * the path relative to the root); they count as said from now on. A warning about no file, or a
   * file that cannot be stat-ed, is always fresh.
   */
  fresh(warnings: readonly string[]): string[] {
    return warnings.filter((warning) => {
      const key = this.keyOf(warning);
      if (key === undefined) return true;
      if (this.said.has(key)) return false;
      this.said.add(key);
      this.changed = true;
      return true;
    });
  }

  /** Remembers what was said; a cache that cannot be written only means saying it again. */
  save(): void {
    if (!this.changed || this.file === undefined) return;
    try {
      writeFileAtomic(this.file, [...this.said].slice(-10_000).join('\n') + '\n');
      this.changed = false;
    } catch {
      // said again next time
    }
  }

  private keyOf(warning: string): string | undefined {
    const path = /^([^:\n]+):\d/.exec(warning)?.[1];
    if (path === undefined) return undefined;
    const stat = lstatSync(join(this.root, path), { throwIfNoEntry: false, bigint: false });
    if (!stat) return undefined;
    // What a change of the file changes: its size, its modification time, which file it is.
    return createHash('sha1').update(`${warning}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}`).digest('hex');
  }
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}
