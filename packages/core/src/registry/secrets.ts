// The secrets a client has handled, so that no message ever shows one.
/**
 * The passwords, tokens and Authorization values a client has handled. Messages are written
 * never to include them; every message is passed through `redact` as well, so that a server
 * echoing a credential back in an error cannot put it in a warning or a log.
 */
export class Secrets {
  private readonly values = new Set<string>();

  add(...values: (string | undefined)[]): void {
    // Very short values would redact ordinary words; no real credential is that short.
    for (const value of values) if (value !== undefined && value.length >= 4) this.values.add(value);
  }

  redact(message: string): string {
    let result = message;
    // Longest first, so that a secret holding another is replaced whole.
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) result = result.split(value).join('***');
    return result;
  }
}
