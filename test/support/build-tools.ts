import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CargoBuild, Copy } from '../../packages/core/src/manifest';

/**
 * A directory of stand-in programs for build tests, outside any test repository: wrappers that
 * log their arguments and run the real program, and fake cargos.
 */
export class ToolDir {
  readonly dir = mkdtempSync(join(tmpdir(), 'mzbuild-tools-'));

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes an executable shell script. */
  script(name: string, body: string): string {
    const file = this.path(name);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, `#!/bin/sh\n${body}`);
    chmodSync(file, 0o755);
    return file;
  }

  /** `bin/<name>`: logs `name args…` to `<name>.log`, then runs the real `name` (found on PATH now). */
  loggingShim(name: string, real = which(name)): string {
    return this.script(`bin/${name}`, `echo "${name} $*" >> '${this.path(`${name}.log`)}'\nexec '${real}' "$@"\n`);
  }

  /** The lines logged under `name` (by a shim, or a script that appends to `<name>.log`). */
  log(name: string): string[] {
    const file = this.path(`${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
  }

  clearLog(name: string): void {
    rmSync(this.path(`${name}.log`), { force: true });
  }

  /** PATH with this directory's `bin` first. */
  pathWithShims(): string {
    return `${join(this.dir, 'bin')}:${process.env['PATH']}`;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function which(name: string): string {
  return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
}

/** Section names of an ELF file, from `readelf -S`. */
export function elfSections(file: string): string[] {
  const listing = execFileSync('readelf', ['-S', '-W', file], { encoding: 'utf8' });
  return [...listing.matchAll(/\]\s+(\.\S+)/g)].map((match) => match[1]!);
}

export function cargoStep(step: Partial<CargoBuild>): CargoBuild {
  return { type: 'cargo-build', bins: [], examples: [], strip: true, extract: {}, features: [], ...step };
}

export function copyStep(step: Partial<Copy> & Pick<Copy, 'source' | 'destination'>): Copy {
  return { type: 'copy', matching: '*', ...step };
}
