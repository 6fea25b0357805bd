// HTTP for the registry client: one connection pool (with TLS options per origin), a bound on requests in flight, timeouts, and retries with backoff; nothing about auth.
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { Semaphore } from '../semaphore';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstLine } from '../text';
import type { RegistryTls } from './certs';
import { isLoopbackHost } from './endpoint';
import type { ProxySettings } from './proxy';

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
  /** TLS beyond Node's defaults (certs.ts). */
  tls?: {
    /** What connections to `host[:port]` add, asked once per origin; may throw a UserError. */
    options: (host: string) => RegistryTls | undefined;
    /** Said when `host`'s certificate is not trusted: where its CA goes. */
    untrustedHint: (host: string) => string;
  };
  /** The proxies of the environment (proxy.ts); undefined: every connection is direct. */
  proxy?: ProxySettings;
}

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers?: Record<string, string>;
  /** Sent as it is with every attempt (a manifest, never a stream: a retry sends it again). */
  body?: Buffer;
  /** Keep the body's exact bytes too, up to this many (default MAX_BODY); a longer body is cut and marked `truncated`. */
  maxBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text (not for HEAD), at most MAX_BODY bytes of it, or `maxBytes`. */
  body: string;
  /** The body's bytes, when the request gave `maxBytes`. */
  bytes?: Buffer;
  /** The body was longer than the limit and was cut. */
  truncated?: boolean;
}

/** A request whose body, or whose answer's body, may be too large to hold in memory: a blob. */
export interface StreamRequest {
  method: 'GET' | 'PUT' | 'PATCH';
  url: string;
  headers?: Record<string, string>;
  /** Sent as it comes; set content-length in `headers` when it is known. */
  body?: Readable;
}

export interface StreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** To be read to its end or destroyed, or the connection is not given back. */
  body: Readable;
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
  /** Connections for every origin that needs nothing of its own. */
  private readonly agent: Dispatcher;
  /**
   * Each origin's dispatcher, chosen before its first request: `agent`, or one of its own for an
   * origin with TLS options (certs.ts) or that a proxy serves (undici's EnvHttpProxyAgent, its
   * TLS through the tunnel).
   */
  private readonly byOrigin = new Map<string, Dispatcher>();
  private readonly semaphore: Semaphore;

  constructor(readonly options: TransportOptions) {
    this.semaphore = new Semaphore(options.concurrency);
    this.agent = new (loadUndici().Agent)({ connect: { timeout: options.timeoutMs } });
  }

  /** The final answer, which may still be a 5xx once retries are spent; throws NetworkError when there is none. */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const dispatcher = this.dispatcherFor(req.url);
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.options.retries;
      let response: HttpResponse;
      try {
        response = await this.semaphore.run(() => this.attempt(req, dispatcher));
      } catch (error) {
        if (last) throw new NetworkError(this.describe(error, attempt + 1, req.url));
        await sleep(this.backoff(attempt));
        continue;
      }
      if (last || !isRetryable(response.status)) return response;
      await sleep(this.retryAfter(response) ?? this.backoff(attempt));
    }
  }

  /**
   * One attempt, for blobs: no retry (a stream cannot be sent twice; the caller starts over), and
   * no slot of the concurrency bound (the caller bounds its transfers, which hold two requests at
   * once, a GET feeding a PUT). The timeout is on silence, waiting for the answer or between two
   * chunks of its body, not on the whole transfer, which may take minutes for a large layer.
   * Throws NetworkError when there is no answer.
   */
  async stream(req: StreamRequest): Promise<StreamResponse> {
    const dispatcher = this.dispatcherFor(req.url);
    try {
      const res = await loadUndici().request(req.url, {
        method: req.method,
        headers: { 'user-agent': 'mzbuild', ...req.headers },
        ...(req.body ? { body: req.body } : {}),
        dispatcher,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, body: res.body as unknown as Readable };
    } catch (error) {
      throw this.networkError(error, req.url);
    }
  }

  /** A NetworkError that says, without secrets, why a request got no answer (or its body broke off). */
  networkError(error: unknown, url?: string): NetworkError {
    return error instanceof NetworkError ? error : new NetworkError(this.describe(error, 1, url));
  }

  async close(): Promise<void> {
    await Promise.all([...new Set([this.agent, ...this.byOrigin.values()])].map((d) => d.close()));
  }

  /**
   * Where a request goes: straight to the origin, or, with proxies in the environment, through
   * the one HTTP(S)_PROXY names unless NO_PROXY lists the host (undici's rules) or it is loopback
   * (never proxied). Asked before a request's first attempt, so that an unusable certificates
   * directory is the caller's error (a UserError), not a failure to retry.
   */
  private dispatcherFor(url: string): Dispatcher {
    const { origin, protocol, host, hostname } = new URL(url);
    const known = this.byOrigin.get(origin);
    if (known) return known;
    const tls = protocol === 'https:' ? this.options.tls?.options(host) : undefined;
    const proxy = isLoopbackHost(hostname) ? undefined : this.options.proxy;
    const { Agent, EnvHttpProxyAgent } = loadUndici();
    const connect = { timeout: this.options.timeoutMs, ...tls };
    let dispatcher = this.agent; // remembered too: the certificates directory is read once an origin
    if (proxy) dispatcher = new EnvHttpProxyAgent({ ...proxy, connect, ...(tls ? { requestTls: tls } : {}) });
    else if (tls) dispatcher = new Agent({ connect });
    this.byOrigin.set(origin, dispatcher);
    return dispatcher;
  }

  private async attempt(req: HttpRequest, dispatcher: Dispatcher): Promise<HttpResponse> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    const res = await loadUndici().request(req.url, {
      method: req.method,
      headers: { 'user-agent': 'mzbuild', ...req.headers },
      ...(req.body ? { body: req.body } : {}),
      // undici closes the connection after every HEAD, in case a server sends a body with it;
      // registries do not, and the existence check is a HEAD per image: a new connection (a TLS
      // handshake) for each would cost more than the check.
      ...(req.method === 'HEAD' ? { reset: false } : {}),
      dispatcher,
      signal,
    });
    let body = '';
    let bytes: Buffer | undefined;
    let truncated = false;
    if (req.method === 'HEAD') await res.body.dump();
    else {
      const limit = req.maxBytes ?? MAX_BODY;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) {
          truncated = true;
          break; // breaking out destroys the stream and its connection
        }
        chunks.push(chunk);
      }
      bytes = Buffer.concat(chunks);
      body = bytes.toString('utf8');
    }
    const response: HttpResponse = { status: res.statusCode, headers: res.headers, body };
    if (req.maxBytes !== undefined && bytes) response.bytes = bytes;
    if (truncated) response.truncated = true;
    return response;
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

  private describe(error: unknown, attempts: number, url?: string): string {
    const tries = attempts === 1 ? '' : `tried ${attempts} times`;
    const err = error as { name?: string; code?: string; message?: string; cause?: { message?: string } };
    const timeouts = ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'];
    // undici's own RequestAbortedError (a proxy that refused the tunnel, say) is an AbortError too, with a message of its own.
    const timedOut = err?.name === 'TimeoutError' || (err?.name === 'AbortError' && err.code !== 'UND_ERR_ABORTED') || timeouts.includes(err?.code ?? '');
    if (timedOut) {
      return `did not answer within ${this.options.timeoutMs / 1000} s${tries && ` (${tries})`}`;
    }
    // Node's messages name the address and the failure (`connect ECONNREFUSED 127.0.0.1:5099`), never headers.
    const message = err?.message || err?.code || String(error);
    const cause = err?.cause?.message && !message.includes(err.cause.message) ? `: ${err.cause.message}` : '';
    const untrusted = UNTRUSTED_CERTIFICATE.has(err?.code ?? '') || UNTRUSTED_CERTIFICATE.has((err?.cause as { code?: string })?.code ?? '');
    const hint = untrusted && url && this.options.tls ? `; ${this.options.tls.untrustedHint(new URL(url).host)}` : '';
    return `could not be reached (${firstLine(message + cause)}${tries && `; ${tries}`}${hint})`;
  }
}

/** OpenSSL's codes for a certificate chain that leads to no trusted root: a private CA, most often. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** Answers that may change on their own: 408, 429 and 5xx. */
export function isRetryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
