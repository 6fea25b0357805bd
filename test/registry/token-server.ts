import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Access {
  type: 'repository';
  name: string;
  actions: string[];
}

export interface TokenServerOptions {
  /** Basic credentials the token endpoint demands; without them it serves anyone (anonymous pulls). */
  credentials?: { username: string; password: string };
  /** `expires_in` of the tokens, in seconds; omitted from replies when undefined. */
  expiresIn?: number;
  /** Repositories whose tokens grant nothing, so that the registry refuses them. */
  deny?: string[];
}

/**
 * The token service of distribution's token auth, for a real registry configured with `realm`,
 * `service`, `issuer` and `certFile` (see RegistryServer's `token` auth). Tokens are ES256 JWTs
 * signed with a key whose self-signed certificate (made by openssl) is the registry's root
 * bundle, and carried in the JWT's x5c header, which is how distribution finds the signing key.
 * It grants pull, and only pull, on the repositories a request asks for.
 */
export class TokenServer {
  readonly service = 'mzbuild-test-registry';
  readonly issuer = 'mzbuild-test-issuer';
  readonly certFile: string;
  /** Every token request: its scope, and whether it carried the right credentials. */
  readonly requests: { scope: string | null; authorized: boolean; authorization?: string }[] = [];
  /** Every token handed out, to check that none shows up where it must not. */
  readonly issued: string[] = [];
  private readonly key: ReturnType<typeof createPrivateKey>;
  private readonly certDer: string;

  private constructor(
    private readonly dir: string,
    private readonly server: Server,
    private readonly options: TokenServerOptions,
  ) {
    this.certFile = join(dir, 'cert.pem');
    this.key = createPrivateKey(readFileSync(join(dir, 'key.pem')));
    this.certDer = new X509Certificate(readFileSync(this.certFile)).raw.toString('base64');
  }

  static async start(options: TokenServerOptions = {}): Promise<TokenServer> {
    const dir = mkdtempSync(join(tmpdir(), 'mzbuild-token-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=mzbuild-test-token-issuer',
    ], { stdio: 'pipe' });
    const server = createServer();
    const tokens = new TokenServer(dir, server, options);
    server.on('request', (req, res) => tokens.handle(req.url ?? '/', req.headers.authorization, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return tokens;
  }

  get realm(): string {
    const { port } = this.server.address() as { port: number };
    return `http://127.0.0.1:${port}/token`;
  }

  /** A signed token granting `access`, for fixtures (pushes) that need more than pull. */
  mint(access: Access[], expiresIn = 300): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'ES256', x5c: [this.certDer] };
    const claims = { iss: this.issuer, sub: 'test', aud: this.service, exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
    // JWS wants ECDSA signatures as r||s, not DER.
    const signature = sign('sha256', Buffer.from(input), { key: this.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${base64url(signature)}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private handle(url: string, authorization: string | undefined, res: import('node:http').ServerResponse): void {
    const query = new URL(url, 'http://localhost').searchParams;
    const scope = query.get('scope');
    const wanted = this.options.credentials;
    const authorized =
      wanted === undefined || authorization === `Basic ${Buffer.from(`${wanted.username}:${wanted.password}`).toString('base64')}`;
    this.requests.push({ scope, authorized, ...(authorization ? { authorization } : {}) });
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!authorized) return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] });
    if (query.get('service') !== this.service) return reply(400, { errors: [{ code: 'DENIED', message: 'unknown service' }] });
    const match = scope?.match(/^repository:([^:]+):([a-z,*]+)$/);
    if (!match) return reply(400, { errors: [{ code: 'DENIED', message: 'scope must be repository:NAME:ACTIONS' }] });
    const denied = this.options.deny?.includes(match[1]!);
    const actions = denied ? [] : match[2]!.split(',').filter((action) => action === 'pull');
    const token = this.mint([{ type: 'repository', name: match[1]!, actions }], this.options.expiresIn ?? 300);
    this.issued.push(token);
    reply(200, { token, ...(this.options.expiresIn !== undefined ? { expires_in: this.options.expiresIn } : {}) });
  }
}

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}
