// An HTTP proxy that tunnels CONNECT requests, as corporate proxies do, and records what it was asked to reach.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * A forward proxy on loopback that answers CONNECT host:port by tunnelling bytes to it (the way
 * undici's ProxyAgent reaches HTTP and HTTPS origins alike), optionally requiring Basic
 * Proxy-Authorization. `tunnels` lists every host:port asked for; a refused request is answered
 * 407 and listed too.
 */
export class ConnectProxy {
  readonly tunnels: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly credentials: string | undefined,
  ) {
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => this.tunnel(req, client, head));
  }

  /** `credentials`, `user:password`, makes it ask for them. */
  static async start(credentials?: string): Promise<ConnectProxy> {
    const proxy = new ConnectProxy(createServer((_, res) => res.writeHead(405).end()), credentials);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** `http://127.0.0.1:PORT`, with `userinfo@` when given. */
  url(userinfo?: string): string {
    return `http://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private tunnel(req: IncomingMessage, client: Socket, head: Buffer): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.on('error', () => client.destroy());
    this.tunnels.push(req.url ?? '');
    const expected = this.credentials && `Basic ${Buffer.from(this.credentials).toString('base64')}`;
    if (expected && req.headers['proxy-authorization'] !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.sockets.add(upstream);
    upstream.on('close', () => this.sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  }
}
