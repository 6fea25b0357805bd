import type { Dispatcher } from 'undici';
import { Semaphore } from '../semaphore';

type Undici = typeof import('undici');
let undici: Undici | undefined;

/**
 * undici takes ~150 ms to load from its ~100 modules. Everything that imports this package (the
 * Nx plugin computing the project graph, too) would pay for it: only a transport loads it.
 */
function loadUndici(): Undici {
  return (undici ??= require('undici') as Undici);
}

export interface TransportOptions {
  /** Requests in flight at once, over every host. */
  concurrency: number;
  /** Per attempt, from connecting to the last byte of the body. */
  timeoutMs: number;
  /** Attempts after the first, on 408, 429, 5xx and network errors. */
  retries: number;
  /** The first backoff; it doubles at each retry. */
  retryDelayMs: number;
  /** The longest Retry-After honoured: a registry asking for minutes is as good as down. */
  maxRetryAfterMs: number;
}

export interface HttpRequest {
  method: 'GET' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (GET only), at most MAX_BODY bytes of it. */
  body: string;
}

/** A request that got no HTTP answer: refused, reset, timed out, TLS. Its message holds no secrets. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** Token and error bodies are small; a larger one is cut, not buffered whole. */
const MAX_BODY = 1 << 20;

/**
 * HTTP for registry clients: one connection pool, a bound on requests in flight, a timeout per
 * attempt, and retries with exponential backoff for answers that may change on their own. The
 * semaphore is held for one attempt only, never while backing off, so that waiting requests do
 * not hold up others, and a request made while answering another (a token) cannot deadlock.
 */
export class Transport {
  private readonly agent: Dispatcher;
  private readonly semaphore: Semaphore;

  constructor(readonly options: TransportOptions) {
    this.semaphore = new Semaphore(options.concurrency);
    this.agent = new (loadUndici().Agent)({ connect: { timeout: options.timeoutMs } });
  }

  /** The final answer, which may still be a 5xx once retries are spent; throws NetworkError when there is none. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.options.retries;
      let response: HttpResponse;
      try {
        response = await this.semaphore.run(() => this.attempt(req));
      } catch (error) {
        if (last) throw new NetworkError(this.describe(error, attempt + 1));
        await sleep(this.backoff(attempt));
        continue;
      }
      if (last || !isRetryable(response.status)) return response;
      await sleep(this.retryAfter(response) ?? this.backoff(attempt));
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async attempt(req: HttpRequest): Promise<HttpResponse> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const res = await loadUndici().request(req.url, {
      method: req.method,
      headers: { 'user-agent': 'mzbuild', ...req.headers },
      dispatcher: this.agent,
      signal,
    });
    let body = '';
    if (req.method === 'HEAD') await res.body.dump();
    else {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY) break; // breaking out destroys the stream and its connection
        chunks.push(chunk);
      }
      body = Buffer.concat(chunks).toString('utf8');
    }
    return { status: res.statusCode, headers: res.headers, body };
  }

  private backoff(attempt: number): number {
    return this.options.retryDelayMs * 2 ** attempt;
  }

  /** Retry-After (429, 503) as seconds or an HTTP date, capped; undefined when absent or unreadable. */
  private retryAfter(response: HttpResponse): number | undefined {
    const header = response.headers['retry-after'];
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || (response.status !== 429 && response.status !== 503)) return undefined;
    let ms: number;
    if (/^\d+$/.test(value.trim())) ms = Number(value.trim()) * 1000;
    else {
      const date = Date.parse(value);
      if (Number.isNaN(date)) return undefined;
      ms = date - Date.now();
    }
    return Math.min(Math.max(ms, 0), this.options.maxRetryAfterMs);
  }

  private describe(error: unknown, attempts: number): string {
    const tries = attempts === 1 ? '' : `tried ${attempts} times`;
    const err = error as { name?: string; code?: string; message?: string; cause?: { message?: string } };
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError' || err?.code === 'UND_ERR_CONNECT_TIMEOUT') {
      return `did not answer within ${this.options.timeoutMs / 1000} s${tries && ` (${tries})`}`;
    }
    // Node's messages name the address and the failure (`connect ECONNREFUSED 127.0.0.1:5099`), never headers.
    const message = err?.message || err?.code || String(error);
    const cause = err?.cause?.message && !message.includes(err.cause.message) ? `: ${err.cause.message}` : '';
    return `could not be reached (${firstLine(message + cause)}${tries && `; ${tries}`})`;
  }
}

function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
