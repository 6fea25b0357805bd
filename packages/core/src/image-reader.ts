/** Reads an image's manifest and Dockerfile, from the model cache while both files are unchanged. */
import { readFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { parseMzfrom } from './dockerfile';
import { UserError } from './errors';
import type { FileStats } from './file-stats';
import type { Manifest } from './manifest/types';
import type { ModelCache } from './model-cache';

/** A directory with an `mzbuild.yml`, and what its manifest and Dockerfile say. */
export interface Image {
  name: string;
  /** Root-relative directory holding `mzbuild.yml` and `Dockerfile`. */
  dir: string;
  manifest: Manifest;
  /** The Dockerfile as written, MZFROM lines and all. */
  dockerfile: string;
  /** The distinct images named by MZFROM, sorted by name. */
  dependencies: string[];
}

export const MANIFEST = 'mzbuild.yml';

/**
 * The image whose manifest is `manifestFile` (root-relative). Both files are stat-ed before they
 * are read, so that a change while they are read shows on the next run; YAML and the schema are
 * loaded only when the cache has no answer.
 */
export function readImage(
  root: string,
  manifestFile: string,
  cache: ModelCache,
  stats: FileStats,
  text: TextReader = diskText(root),
): { image: Image; warnings: string[] } {
  const dir = manifestFile.slice(0, -(MANIFEST.length + 1));
  const dockerfileName = `${dir}/Dockerfile`;
  const manifestStat = cache.persistent ? lstatOf(stats, manifestFile) : undefined;
  const dockerfileStat = cache.persistent ? lstatOf(stats, dockerfileName) : undefined;
  let entry = cache.image(manifestFile, manifestStat, dockerfileStat);
  if (entry) {
    cache.counts.manifests.cached++;
  } else {
    const { parseManifest } = require('./parsers') as typeof import('./parsers');
    const { manifest, warnings } = parseManifest(readText(text, manifestFile, 'cannot be read'), manifestFile);
    const dockerfile = readText(text, dockerfileName, `is missing: image ${manifest.name} needs a Dockerfile beside ${manifestFile}`);
    entry = { manifest, warnings, dockerfile };
    cache.rememberImage(manifestFile, manifestStat, dockerfileStat, entry);
    cache.counts.manifests.parsed++;
  }
  const image: Image = {
    name: entry.manifest.name,
    dir,
    manifest: entry.manifest,
    dockerfile: entry.dockerfile,
    dependencies: [...new Set(parseMzfrom(entry.dockerfile).map((line) => line.name))].sort(),
  };
  return { image, warnings: entry.warnings };
}

/** What lstat says, or undefined where it cannot say (the read then reports the problem). */
function lstatOf(stats: FileStats, path: string): Stats | undefined {
  try {
    return stats.lstat(path);
  } catch {
    return undefined;
  }
}

/** A root-relative file's text; undefined when it cannot be read. */
export type TextReader = (path: string) => string | undefined;

export function diskText(root: string): TextReader {
  return (path) => {
    try {
      return readFileSync(join(root, path), 'utf8');
    } catch {
      return undefined;
    }
  };
}

function readText(text: TextReader, file: string, problem: string): string {
  const found = text(file);
  if (found === undefined) throw new UserError(`${file}: ${problem}`);
  return found;
}

