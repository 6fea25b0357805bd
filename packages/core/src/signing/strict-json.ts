// JSON read as containers/image's "paranoid" unmarshalling reads a signature: an object whose keys each appear once, nothing after it.

/**
 * JSON.parse, except that an object with a key twice is an error: JSON.parse keeps the last one,
 * Go keeps whichever its decoder meets, so a signed payload holding two digests could be read as
 * naming either. Throws an Error saying what is wrong.
 */
export function parseStrictJson(text: string): unknown {
  const reader = new Reader(text);
  const value = reader.value(0);
  reader.space();
  if (reader.at < text.length) throw new Error('it has data after its JSON value');
  return value;
}

/** Deeper than any signature nests; a payload nesting deeper is refused rather than overflow the stack. */
const MAX_DEPTH = 32;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const LITERAL = /true|false|null/y;

class Reader {
  at = 0;

  constructor(private readonly text: string) {}

  value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new Error(`it nests deeper than ${MAX_DEPTH}`);
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return JSON.parse(this.token(STRING, 'a string'));
    if (c === 't' || c === 'f' || c === 'n') return JSON.parse(this.token(LITERAL, 'a value'));
    return JSON.parse(this.token(NUMBER, 'a value'));
  }

  space(): void {
    while (/[ \t\n\r]/.test(this.text[this.at] ?? '')) this.at++;
  }

  private object(depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.at++;
    this.space();
    if (this.eat('}')) return result;
    for (;;) {
      this.space();
      const key = JSON.parse(this.token(STRING, 'a key')) as string;
      if (seen.has(key)) throw new Error(`it has the key ${JSON.stringify(key)} twice in one object`);
      seen.add(key);
      this.space();
      if (!this.eat(':')) throw this.expected("':'");
      // defineProperty, so that a key `__proto__` is a key like any other.
      Object.defineProperty(result, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
      this.space();
      if (this.eat('}')) return result;
      if (!this.eat(',')) throw this.expected("',' or '}'");
    }
  }

  private array(depth: number): unknown[] {
    const result: unknown[] = [];
    this.at++;
    this.space();
    if (this.eat(']')) return result;
    for (;;) {
      result.push(this.value(depth + 1));
      this.space();
      if (this.eat(']')) return result;
      if (!this.eat(',')) throw this.expected("',' or ']'");
    }
  }

  private token(pattern: RegExp, what: string): string {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (!match) throw this.expected(what);
    this.at += match[0].length;
    return match[0];
  }

  private eat(c: string): boolean {
    if (this.text[this.at] !== c) return false;
    this.at++;
    return true;
  }

  private expected(what: string): Error {
    return new Error(`it is not JSON: ${what} expected at offset ${this.at}`);
  }
}
