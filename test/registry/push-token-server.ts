import { createServer, type Server, type ServerResponse } from 'node:http';
import { TokenServer, type Access } from './token-server';

export interface PushTokenServerOptions {
  /** Basic credentials the token endpoint demands; without them it serves anyone. */
  credentials?: { username: string; password: string };
  /** Repositories it grants only pull on, whatever is asked. */
  readOnly?: string[];
}

/**
 * A token service that grants what it is asked for, push included, one access entry per
 * `scope` parameter (distribution's token spec repeats `scope` for a token of several
 * repositories, as a cross-repository mount needs). Its tokens are signed by a TokenServer
 * (test/registry/token-server.ts, which grants only pull): a registry is configured with this
 * server's `realm` and that one's `service`, `issuer` and `certFile`.
 */
export class PushTokenServer {
  /** Every token request: its scopes, and the Authorization it carried. */
  readonly requests: { scopes: string[]; authorization?: string }[] = [];
  readonly issued: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly signer: TokenServer,
    private readonly options: PushTokenServerOptions,
  ) {}

  static async start(options: PushTokenServerOptions = {}): Promise<PushTokenServer> {
    const signer = await TokenServer.start();
    const server = createServer();
    const tokens = new PushTokenServer(server, signer, options);
    server.on('request', (req, res) => tokens.handle(req.url ?? '/', req.headers.authorization, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return tokens;
  }

  get realm(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/token`;
  }
  get service(): string {
    return this.signer.service;
  }
  get issuer(): string {
    return this.signer.issuer;
  }
  get certFile(): string {
    return this.signer.certFile;
  }

  /** The registry configuration for RegistryServer.start({ auth }). */
  get auth(): { token: { realm: string; service: string; issuer: string; rootCertBundle: string } } {
    return { token: { realm: this.realm, service: this.service, issuer: this.issuer, rootCertBundle: this.certFile } };
  }

  mint(access: Access[]): string {
    return this.signer.mint(access);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    await this.signer.stop();
  }

  private handle(url: string, authorization: string | undefined, res: ServerResponse): void {
    const query = new URL(url, 'http://localhost').searchParams;
    const scopes = query.getAll('scope');
    this.requests.push({ scopes, ...(authorization ? { authorization } : {}) });
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const wanted = this.options.credentials;
    if (wanted && authorization !== `Basic ${Buffer.from(`${wanted.username}:${wanted.password}`).toString('base64')}`) {
      return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
    }
    const access: Access[] = [];
    for (const scope of scopes) {
      const match = scope.match(/^repository:([^:]+):([a-z,*]+)$/);
      if (!match) return reply(400, { errors: [{ code: 'DENIED', message: `bad scope ${scope}` }] });
      const actions = match[2]!.split(',').filter((a) => a === 'pull' || (a === 'push' && !this.options.readOnly?.includes(match[1]!)));
      access.push({ type: 'repository', name: match[1]!, actions });
    }
    const token = this.signer.mint(access);
    this.issued.push(token);
    reply(200, { token, expires_in: 300 });
  }
}
