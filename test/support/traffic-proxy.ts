import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** One request that went through the proxy. */
export interface LoggedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Path only. */
  path: string;
  query: URLSearchParams;
  contentType?: string;
  accept?: string;
  authorization?: string;
  /** Of the request body, as the proxy received it: its length and sha256. */
  bodyLength: number;
  bodyDigest?: string;
  /** The status the client got, once answered; undefined for a dropped request. */
  status?: number;
  /** The proxy cut the connection instead of answering. */
  dropped?: boolean;
}

/**
 * What to do with one request: pass it on, cut the connection (mid-upload, for a request with a
 * body), answer it here, pass it on to another URL (path and query) of the registry, or pass it
 * on once `hold` settles (to order two clients' requests).
 */
export type TrafficAction = 'pass' | 'drop' | { status: number; headers?: Record<string, string>; body?: string } | { rewrite: string } | { hold: Promise<unknown> };

export interface TrafficProxyOptions {
  intercept?: (req: LoggedRequest, index: number) => TrafficAction;
}

/**
 * An HTTP proxy in front of a real registry that logs every request (method, path, query, body
 * digest, status) so that tests can assert on the traffic of a copy, and can cut or rewrite
 * requests. It passes the client's Host header on, so that the Location of an upload, which a
 * registry builds from it, points back at the proxy and the upload goes through it too.
 */
export class TrafficProxy {
  readonly requests: LoggedRequest[] = [];
  intercept: TrafficProxyOptions['intercept'];

  private constructor(
    private readonly server: Server,
    private readonly target: string,
    options: TrafficProxyOptions,
  ) {
    this.intercept = options.intercept;
    server.on('request', (req, res) => this.handle(req, res));
  }

  static async start(target: string, options: TrafficProxyOptions = {}): Promise<TrafficProxy> {
    const proxy = new TrafficProxy(createServer(), target, options);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `127.0.0.1:PORT`, a loopback registry name. */
  get host(): string {
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** `METHOD /path?query` of every request so far. */
  log(): string[] {
    return this.requests.map((r) => `${r.method} ${r.url}`);
  }

  /** Requests that change something: PUT, POST, PATCH, DELETE. */
  writes(): LoggedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
  }

  clear(): void {
    this.requests.length = 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry: LoggedRequest = { method: req.method ?? '', url: req.url ?? '', path: url.pathname, query: url.searchParams, bodyLength: 0 };
    if (req.headers['content-type']) entry.contentType = req.headers['content-type'];
    if (req.headers.accept) entry.accept = req.headers.accept;
    if (req.headers.authorization) entry.authorization = req.headers.authorization;
    const index = this.requests.length;
    this.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));

    const action = this.intercept?.(entry, index) ?? 'pass';
    if (action === 'drop') {
      entry.dropped = true;
      // Let a little of the body arrive, then cut: the client is mid-request.
      const cut = () => req.socket.destroy();
      req.once('data', cut);
      req.once('end', cut);
      setTimeout(cut, 50);
      return;
    }
    if (typeof action === 'object' && 'status' in action) {
      const answer = action;
      req.resume();
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? '');
      return;
    }
    if (typeof action === 'object' && 'hold' in action) {
      req.pause();
      void action.hold.finally(() => this.pass(req, res, entry, req.url ?? '/'));
      return;
    }
    this.pass(req, res, entry, typeof action === 'object' && 'rewrite' in action ? action.rewrite : (req.url ?? '/'));
  }

  private pass(req: IncomingMessage, res: ServerResponse, entry: LoggedRequest, path: string): void {
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => {
      entry.bodyLength += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      if (entry.bodyLength > 0) entry.bodyDigest = `sha256:${hash.digest('hex')}`;
    });
    const upstream = request(`http://${this.target}${path}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }
}
