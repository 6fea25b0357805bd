import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inference } from './infer';
import { globWorkspace } from './workspace-files';

/**
 * createNodes' answer, kept in Nx's workspace data directory, keyed by everything it reads: the
 * manifests and Dockerfiles, every Cargo.toml, the Rust files whose presence makes a binary or an
 * example, the plugin options and the plugin's version. Computing the key reads small files and
 * asks Nx's own file index for the rest; it parses nothing.
 */

const VERSIONS = ['@mzbuild/nx', '@mzbuild/core'].map((name) => require(`${name}/package.json`).version).join(',');

/** Files whose presence, not content, decides what crates define (src/main.rs, src/bin/*.rs…). */
const CARGO_GLOBS = ['**/Cargo.toml', '**/src/main.rs', '**/src/bin/**/*.rs', '**/examples/**/*.rs'];

export async function inferenceKey(workspaceRoot: string, gitRoot: string, manifestFiles: readonly string[], options: unknown): Promise<string> {
  const hash = createHash('sha1').update(`${VERSIONS}\0${JSON.stringify(options ?? {})}\0`);
  for (const manifest of [...manifestFiles].sort()) {
    hash.update(`${manifest}\0${read(join(workspaceRoot, manifest))}\0`);
    hash.update(`${read(join(workspaceRoot, manifest, '../Dockerfile'))}\0`);
  }
  hash.update(`${read(join(gitRoot, 'Cargo.toml'))}\0`);
  for (const file of (await globWorkspace(workspaceRoot, CARGO_GLOBS)).sort()) {
    hash.update(`${file}\0${file.endsWith('Cargo.toml') ? read(join(workspaceRoot, file)) : ''}\0`);
  }
  return hash.digest('hex');
}

function cacheFile(workspaceRoot: string, options: unknown): string {
  const dir = process.env['NX_WORKSPACE_DATA_DIRECTORY'] || join(workspaceRoot, '.nx', 'workspace-data');
  const tag = createHash('sha1').update(JSON.stringify(options ?? {})).digest('hex').slice(0, 8);
  return join(dir, `mzbuild-nodes-${tag}.json`);
}

export function readCachedInference(workspaceRoot: string, options: unknown, key: string): Inference | undefined {
  try {
    const cached = JSON.parse(readFileSync(cacheFile(workspaceRoot, options), 'utf8'));
    return cached.key === key ? cached.inference : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic, and silent on failure: a cache that cannot be written costs only time. */
export function writeCachedInference(workspaceRoot: string, options: unknown, key: string, inference: Inference): void {
  const file = cacheFile(workspaceRoot, options);
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify({ key, inference }));
    renameSync(`${file}.${process.pid}.tmp`, file);
  } catch {
    // Only speed is lost.
  }
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '\0missing';
  }
}
