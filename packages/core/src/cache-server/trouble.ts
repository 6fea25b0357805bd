// How the server tells of what it works around: one warning when the registry starts failing (not one per request), and counts for the summary when it stops.

/** Counts of what was answered as a miss or a refusal, and why. */
export interface TroubleCounts {
  registry: number;
  untrusted: number;
  invalid: number;
  tooLarge: number;
}

/**
 * Nx must never see the registry's trouble (anything but 200/404 on GET, or 200/403/409 on PUT,
 * fails its whole run), so the server answers a miss or a refusal, and says so here: once when
 * the registry starts failing, again only after it has answered well in between, so that a
 * registry that is down for a whole run is one line, not one per task.
 */
export class Trouble {
  readonly counts: TroubleCounts = { registry: 0, untrusted: 0, invalid: 0, tooLarge: 0 };
  private failing = false;
  private readonly said = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  /** A request the registry answered: the next failure is told again. */
  healthy(): void {
    this.failing = false;
  }

  registry(action: string, message: string): void {
    this.counts.registry++;
    if (this.failing) return;
    this.failing = true;
    this.warn(`${action}: ${message}; until it answers, Nx is told of misses and of entries not stored`);
  }

  /** Told once per kind: an entry not served because no trusted key signed it, or because it is not an entry. */
  refused(kind: 'untrusted' | 'invalid', reference: string, reason: string): void {
    this.counts[kind]++;
    if (this.said.has(kind)) return;
    this.said.add(kind);
    const what = kind === 'untrusted' ? 'no trusted key signed it' : 'it is not an mzbuild Nx cache entry';
    this.warn(`not serving ${reference}: ${what} (${reason}); such entries are misses`);
  }

  tooLarge(hash: string, maxBytes: number): void {
    this.counts.tooLarge++;
    if (this.said.has('too-large')) return;
    this.said.add('too-large');
    this.warn(`not storing the outputs of ${hash}: larger than the cap of ${maxBytes} bytes (--max-artifact-size)`);
  }

  /** One line for the end: what was answered otherwise than the registry would have. */
  summary(): string | undefined {
    const { registry, untrusted, invalid, tooLarge } = this.counts;
    const parts = [
      registry && `${registry} answered as misses or not stored because of the registry`,
      untrusted && `${untrusted} untrusted entries not served`,
      invalid && `${invalid} tags that were not entries not served`,
      tooLarge && `${tooLarge} archives over the size cap not stored`,
    ].filter(Boolean);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }
}
