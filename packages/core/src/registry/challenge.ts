// Parsing the WWW-Authenticate challenges a registry answers 401 with.
/** One challenge of a `WWW-Authenticate` header: `Bearer realm="…",service="…",scope="…"`. */
export interface Challenge {
  /** Lower case: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names in lower case; values unquoted and unescaped. */
  params: Record<string, string>;
}

const TOKEN = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

/**
 * Parses a `WWW-Authenticate` header (RFC 9110 §11.6.1): one or more challenges, each a scheme and
 * comma-separated parameters. Commas separate both parameters and challenges, so a token followed
 * by `=` is a parameter and any other token starts a new challenge. Quoted values may hold commas
 * (`scope="repository:a:pull,push"`) and backslash escapes. Anything it cannot read is skipped,
 * since registries are not all strict and an unreadable challenge only means no credentials.
 */
export function parseChallenges(header: string): Challenge[] {
  const challenges: Challenge[] = [];
  let current: Challenge | undefined;
  let pos = 0;
  const skip = (chars: RegExp) => {
    while (pos < header.length && chars.test(header[pos]!)) pos++;
  };

  while (pos < header.length) {
    skip(/[\s,]/);
    TOKEN.lastIndex = pos;
    const match = TOKEN.exec(header);
    if (!match) {
      pos++; // not a token: step over it
      continue;
    }
    pos = TOKEN.lastIndex;
    skip(/[ \t]/);
    if (header[pos] !== '=') {
      current = { scheme: match[0].toLowerCase(), params: {} };
      challenges.push(current);
      continue;
    }
    pos++; // '='
    skip(/[ \t]/);
    let value: string;
    if (header[pos] === '"') {
      value = '';
      pos++;
      while (pos < header.length && header[pos] !== '"') {
        if (header[pos] === '\\' && pos + 1 < header.length) pos++;
        value += header[pos++];
      }
      pos++; // closing quote
    } else {
      // Unquoted values should be tokens, but some registries send URLs unquoted: take up to a comma.
      const end = header.slice(pos).search(/[,\s]/);
      value = end === -1 ? header.slice(pos) : header.slice(pos, pos + end);
      pos += value.length;
    }
    if (current) current.params[match[0].toLowerCase()] = value;
  }
  return challenges;
}

/** The first challenge of a header (or headers) with the given scheme, if any. */
export function findChallenge(header: string | string[] | undefined, scheme: string): Challenge | undefined {
  if (header === undefined) return undefined;
  const all = (Array.isArray(header) ? header : [header]).flatMap(parseChallenges);
  return all.find((challenge) => challenge.scheme === scheme.toLowerCase());
}
