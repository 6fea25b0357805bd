import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** README.md's fenced code blocks of a language, so tests run what the README shows, not a copy. */
export function readmeBlocks(language: string): string[] {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  return [...readme.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
}

/** The README's `release` configuration for nx.json (its section "nx release"). */
export function readmeReleaseConfig(): Record<string, unknown> {
  const block = readmeBlocks('json').find((text) => text.includes('"release"'));
  if (!block) throw new Error('README.md shows no nx.json with a "release" key');
  return JSON.parse(block).release;
}
