/** createNodes' answer, kept in Nx's workspace data, keyed by a digest of the image model it was made from. */
import { createHash } from 'node:crypto';
import { writeFileAtomic } from '@mzbuild/core/inference';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inference } from './infer';

/**
 * The projects for the plugin options, kept in Nx's workspace data directory (`nx reset` clears
 * it) under the key of the model they were made from (manifests, Dockerfiles, the crates of each
 * image, the options and the plugin's version: infer.ts's modelKey). A hit saves checking the
 * options and making the projects; the model itself comes from core's model cache.
 */

/** The versions of the plugin and of core: another version may make other projects. */
export const VERSIONS = ['@mzbuild/nx', '@mzbuild/core'].map((name) => require(`${name}/package.json`).version).join(',');

function cacheFile(workspaceRoot: string, options: unknown): string {
  const dir = process.env['NX_WORKSPACE_DATA_DIRECTORY'] || join(workspaceRoot, '.nx', 'workspace-data');
  const tag = createHash('sha1').update(JSON.stringify(options ?? {})).digest('hex').slice(0, 8);
  return join(dir, `mzbuild-nodes-${tag}.json`);
}

export function readCachedInference(workspaceRoot: string, options: unknown, key: string): Inference | undefined {
  try {
    const text = readFileSync(cacheFile(workspaceRoot, options), 'utf8');
    // The key comes first: another key is told without parsing the projects.
    if (!text.startsWith(`{"key":${JSON.stringify(key)},`)) return undefined;
    const cached = JSON.parse(text);
    return cached.key === key ? cached.inference : undefined;
  } catch {
    return undefined;
  }
}

/** Atomic, and silent on failure: a cache that cannot be written costs only time. */
export function writeCachedInference(workspaceRoot: string, options: unknown, key: string, inference: Inference): void {
  const file = cacheFile(workspaceRoot, options);
  try {
    writeFileAtomic(file, JSON.stringify({ key, inference }));
  } catch {
    // Only speed is lost.
  }
}
