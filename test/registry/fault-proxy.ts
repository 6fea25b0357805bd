import { createServer, request, type IncomingMessage, type Server } from 'node:http';

/** What the proxy does with one request: pass it on, answer it itself, never answer, or cut the connection once that much of its body has come. */
export type Fault = 'pass' | 'hang' | { cutAfterBytes: number } | { status: number; headers?: Record<string, string>; body?: string };

export interface ProxiedRequest {
  method: string;
  url: string;
  authorization?: string;
  accept?: string;
  /** The status the client got, once answered. */
  status?: number;
}

export interface FaultProxyOptions {
  /** Asked for each request, with its index among all requests so far; default 'pass'. */
  fault?: (req: IncomingMessage, index: number) => Fault;
  /** Added before each request is handled, so that requests overlap. */
  delayMs?: number;
  /**
   * Rewrites Location headers naming the registry to name the proxy, as a reverse proxy does, so
   * that an upload's PATCH and PUT come through it too (for faults in the middle of one).
   */
  reverseLocation?: boolean;
}

/**
 * An HTTP proxy in front of a real registry that injects faults and watches traffic: it counts
 * requests in flight (for the concurrency bound) and connections, delays each by `delayMs`, and asks `fault`
 * what to do with each request (for 503s, 429s, hangs and auth challenges).
 */
export class FaultProxy {
  readonly requests: ProxiedRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** TCP connections accepted: what keep-alive saves shows here. */
  connections = 0;

  private constructor(
    private readonly server: Server,
    private readonly target: string,
    private readonly options: FaultProxyOptions,
  ) {
    server.on('request', (req, res) => void this.handle(req, res));
    server.on('connection', () => this.connections++);
  }

  static async start(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
    const proxy = new FaultProxy(createServer(), target, options);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `127.0.0.1:PORT`, a loopback registry name. */
  get host(): string {
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections(); // hung requests too
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const index = this.requests.length;
    const { authorization, accept } = req.headers;
    const entry: ProxiedRequest = { method: req.method ?? '', url: req.url ?? '' };
    if (authorization) entry.authorization = authorization;
    if (accept) entry.accept = accept;
    this.requests.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    let done = false;
    const finish = () => {
      if (!done) this.inFlight--;
      done = true;
    };
    // 'finish' when answered, 'close' when cut off (a client that gave up on a hang).
    res.on('finish', finish);
    res.on('close', finish);
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
    const fault = this.options.fault?.(req, index) ?? 'pass';
    if (fault === 'hang') return;
    if (typeof fault === 'object' && 'cutAfterBytes' in fault) {
      let received = 0;
      req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received >= fault.cutAfterBytes) req.socket.destroy();
      });
      return;
    }
    if (fault !== 'pass') {
      res.writeHead(fault.status, fault.headers ?? {});
      res.end(fault.body ?? '');
      return;
    }
    const upstream = request(`http://${this.target}${req.url}`, { method: req.method, headers: { ...req.headers, host: this.target } }, (answer) => {
      const headers = { ...answer.headers };
      if (this.options.reverseLocation && typeof headers.location === 'string') headers.location = headers.location.replace(`//${this.target}/`, `//${this.host}/`);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  }
}
