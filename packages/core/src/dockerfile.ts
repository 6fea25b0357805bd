/**
 * The mzbuild Dockerfile dialect: a line that starts, at column 0, with `MZFROM <image>` builds on
 * another image of the repository. Python's bytes regex `^MZFROM\s*(\S+)` is matched per line; its
 * `\s` is ASCII white space only, hence the explicit classes.
 */
const MZFROM = /^MZFROM[ \t\n\r\f\v]*([^ \t\n\r\f\v]+)/;

export interface MzfromLine {
  /** The image named. */
  name: string;
  /** 1-based line number, for error messages. */
  line: number;
}

/** Every MZFROM line, in file order, duplicates included. */
export function parseMzfrom(dockerfile: string): MzfromLine[] {
  const found: MzfromLine[] = [];
  dockerfile.split('\n').forEach((text, index) => {
    const match = MZFROM.exec(text);
    if (match) found.push({ name: match[1]!, line: index + 1 });
  });
  return found;
}

/**
 * Replaces each `MZFROM <name>` prefix with `FROM <reference>`, keeping the rest of the line
 * (`AS build`, …) and every other line as it is.
 */
export function rewriteMzfrom(dockerfile: string, referenceOf: (name: string) => string): string {
  return dockerfile
    .split('\n')
    .map((text) => text.replace(MZFROM, (_match, name: string) => `FROM ${referenceOf(name)}`))
    .join('\n');
}
