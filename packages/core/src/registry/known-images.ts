import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Images known to exist, by full reference. Only presence is remembered: an image pushed under a
 * fingerprint tag stays, so "present" never goes stale, while "absent" changes with the next
 * push and "unknown" with the network. Kept in memory and, given a file, in that file too, one
 * reference per line, so that later runs need not ask again.
 */
export class KnownImages {
  private readonly known = new Set<string>();
  private readonly added = new Set<string>();

  constructor(private readonly file?: string) {
    if (file !== undefined) for (const line of readLines(file)) this.known.add(line);
  }

  has(reference: string): boolean {
    return this.known.has(reference);
  }

  add(reference: string): void {
    if (this.known.has(reference)) return;
    this.known.add(reference);
    this.added.add(reference);
  }

  /**
   * Writes what was added since the last save. The file is read again first, so that runs in
   * parallel add to each other's lines rather than replace them, and replaced by a rename, so a
   * reader never sees half a file. A lost race loses lines, never correctness: they are asked again.
   */
  save(): void {
    if (this.file === undefined || this.added.size === 0) return;
    const lines = new Set([...readLines(this.file), ...this.added]);
    mkdirSync(dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(temporary, [...lines].join('\n') + '\n');
      renameSync(temporary, this.file);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
    this.added.clear();
  }
}

/** The file's references; none when it is missing or unreadable, as a cache may always be. */
function readLines(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}
