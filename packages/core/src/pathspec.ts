/**
 * Git's default pathspec matching (no magic, no `:(glob)`): a pattern without wildcards matches the
 * path itself or anything under it; one with wildcards is an fnmatch in which `*` also matches `/`.
 */
export function matchesPathspec(pattern: string, path: string): boolean {
  if (!/[*?[\\]/.test(pattern)) {
    const dir = pattern.replace(/\/+$/, '');
    return dir === '' || path === dir || path.startsWith(`${dir}/`);
  }
  return toRegExp(pattern).test(path);
}

const cache = new Map<string, RegExp>();

function toRegExp(pattern: string): RegExp {
  let regexp = cache.get(pattern);
  if (regexp) return regexp;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '\\' && i + 1 < pattern.length) source += escape(pattern[++i]!);
    else if (char === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) source += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        source += `[${body}]`;
        i = end;
      }
    } else source += escape(char);
  }
  regexp = new RegExp(`^${source}$`, 's');
  cache.set(pattern, regexp);
  return regexp;
}

function escape(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
