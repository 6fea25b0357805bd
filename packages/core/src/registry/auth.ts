// Authorisation for one registry: which scheme it wants, the credentials it asks for, and the bearer tokens it hands out, per scope.
import { findChallenge } from './challenge';
import { lookupCredentials, type CredentialLookup, type Credentials } from './credentials';
import { isInsecureRegistry, registryOrigin } from './endpoint';
import { parseErrorBody, RegistryError, type RegistryErrorFields } from './errors';
import type { Secrets } from './secrets';
import { isRetryable, NetworkError, type Transport } from './transport';

/** How a registry wants requests authorised, as its `/v2/` challenge says. */
export type AuthScheme = { kind: 'anonymous' } | { kind: 'basic' } | { kind: 'bearer'; realm: string; service?: string };

export interface AuthContext {
  transport: Transport;
  env: NodeJS.ProcessEnv;
  secrets: Secrets;
  /** For credential helpers. */
  timeoutMs: number;
  /** The clock, for token lifetimes. */
  now?: () => number;
}

/** Tokens without `expires_in` live 60 s (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
/** Tokens are dropped this long before they expire, so that none expires in flight. */
const TOKEN_MARGIN_MS = 10_000;

/**
 * Authorisation for one registry, kept for the life of a client. It asks `/v2/` once,
 * anonymously, which scheme the registry wants, so that every later request carries credentials
 * up front instead of earning a 401 first; credentials are looked up only when the registry asks
 * for them; bearer tokens are fetched once per scope (concurrent askers share the request) and
 * reused for their lifetime.
 */
export class RegistryAuth {
  private scheme: AuthScheme | undefined;
  private pinging: Promise<void> | undefined;
  private lookup: Promise<CredentialLookup> | undefined;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();
  private readonly fetching = new Map<string, Promise<string>>();

  constructor(
    readonly registry: string,
    private readonly ctx: AuthContext,
  ) {}

  /** Learns the scheme, by `GET /v2/`, unless known. Throws a RegistryError when the registry does not answer. */
  ensureScheme(): Promise<void> {
    if (this.scheme) return Promise.resolve();
    this.pinging ??= this.ping().finally(() => (this.pinging = undefined));
    return this.pinging;
  }

  /**
   * The Authorization header for a request in `scope` (`repository:NAME:pull`), if any is due.
   * A scope may name several, separated by spaces (`repository:a:pull,push repository:b:pull`,
   * for a cross-repository mount): one token is asked for them all, and kept under that scope.
   */
  async authorization(scope: string): Promise<string | undefined> {
    const scheme = this.scheme ?? { kind: 'anonymous' };
    if (scheme.kind === 'anonymous') return undefined;
    if (scheme.kind === 'basic') {
      const { credentials } = await this.credentials();
      return credentials ? basic(credentials, this.ctx.secrets) : undefined;
    }
    const cached = this.tokens.get(scope);
    if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
    let pending = this.fetching.get(scope);
    if (!pending) {
      pending = this.fetchToken(scheme, scope).finally(() => this.fetching.delete(scope));
      this.fetching.set(scope, pending);
    }
    return `Bearer ${await pending}`;
  }

  /**
   * After a 401: learns the scheme from its challenge (a registry may protect repositories that
   * its `/v2/` leaves open) and forgets the token for `scope`, which the registry no longer takes.
   * Returns the Authorization header to retry with, or undefined when retrying cannot help.
   */
  async reauthorize(challenge: string | string[] | undefined, scope: string, sent: string | undefined): Promise<string | undefined> {
    const learned = schemeOf(challenge);
    if (learned) this.scheme = learned;
    this.tokens.delete(scope);
    const next = await this.authorization(scope);
    return next !== undefined && next !== sent ? next : undefined;
  }

  /** For messages: `with credentials from X`, or `without credentials: ` and what to do or what failed. */
  async describeCredentials(): Promise<string> {
    const { credentials, problem } = await this.credentials();
    if (credentials) return `with credentials from ${credentials.source}`;
    return `without credentials: ${problem ?? `run docker login ${this.registry}`}`;
  }

  private credentials(): Promise<CredentialLookup> {
    this.lookup ??= lookupCredentials(this.registry, this.ctx.env, this.ctx.timeoutMs).then((found) => {
      if (found.credentials) this.ctx.secrets.add(found.credentials.password);
      return found;
    });
    return this.lookup;
  }

  private async ping(): Promise<void> {
    let response;
    try {
      response = await this.ctx.transport.send({ method: 'GET', url: `${registryOrigin(this.registry, this.ctx.env)}/v2/` });
    } catch (error) {
      // The ping stands for the registry as a whole: its message names no request.
      if (error instanceof NetworkError) throw this.error(error.message);
      throw error;
    }
    if (isRetryable(response.status)) {
      const { codes } = parseErrorBody(response.body);
      throw this.error(`answered ${response.status} to GET /v2/`, { status: response.status, codes, request: { method: 'GET', path: '/v2/' } });
    }
    // A 401 without a challenge we know still means "credentials wanted": Basic is the fallback.
    this.scheme = response.status === 401 ? (schemeOf(response.headers['www-authenticate']) ?? { kind: 'basic' }) : { kind: 'anonymous' };
  }

  private async fetchToken(scheme: { realm: string; service?: string }, scope: string): Promise<string> {
    let url: URL;
    try {
      url = new URL(scheme.realm);
    } catch {
      throw this.error(`named a token service that is not a URL (${JSON.stringify(scheme.realm)})`);
    }
    if (scheme.service !== undefined) url.searchParams.set('service', scheme.service);
    for (const one of scope.split(' ').filter((s) => s !== '')) url.searchParams.append('scope', one);
    const { credentials } = await this.credentials();
    // Credentials go to a token service only over TLS, or to a host spoken to in plain HTTP anyway
    // (loopback, MZBUILD_INSECURE_REGISTRIES): never in clear text across a network by surprise.
    const mayCarry = url.protocol === 'https:' || isInsecureRegistry(url.host, this.ctx.env);
    const headers: Record<string, string> = credentials && mayCarry ? { authorization: basic(credentials, this.ctx.secrets) } : {};

    let response;
    try {
      response = await this.ctx.transport.send({ method: 'GET', url: url.toString(), headers });
    } catch (error) {
      if (error instanceof NetworkError) throw this.error(`has a token service at ${url.origin} that ${error.message}`);
      throw error;
    }
    if (response.status !== 200) {
      const credentialsUsed = await this.describeCredentials();
      throw this.error(`has a token service at ${url.origin} that answered ${response.status} for ${scope}, ${credentialsUsed}`);
    }
    let reply: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      reply = JSON.parse(response.body) as typeof reply;
    } catch {
      throw this.error(`has a token service at ${url.origin} that did not answer with JSON`);
    }
    const token = typeof reply.token === 'string' && reply.token ? reply.token : reply.access_token;
    if (typeof token !== 'string' || token === '') throw this.error(`has a token service at ${url.origin} that gave no token`);
    this.ctx.secrets.add(token);
    const seconds = typeof reply.expires_in === 'number' && reply.expires_in > 0 ? reply.expires_in : DEFAULT_TOKEN_SECONDS;
    const lifetime = seconds * 1000;
    this.tokens.set(scope, { token, expiresAt: this.now() + lifetime - Math.min(TOKEN_MARGIN_MS, lifetime / 2) });
    return token;
  }

  /** A RegistryError of this registry; a token service's answer is not the registry's, and gives it no status. */
  private error(reason: string, fields: Omit<RegistryErrorFields, 'registry'> = {}): RegistryError {
    return new RegistryError(this.ctx.secrets, { registry: this.registry, ...fields }, reason);
  }

  private now(): number {
    return (this.ctx.now ?? Date.now)();
  }
}

/** The scheme a `WWW-Authenticate` header asks for: Bearer (with a realm) before Basic. */
export function schemeOf(header: string | string[] | undefined): AuthScheme | undefined {
  const bearer = findChallenge(header, 'bearer');
  if (bearer?.params['realm']) {
    const scheme: AuthScheme = { kind: 'bearer', realm: bearer.params['realm'] };
    if (bearer.params['service'] !== undefined) scheme.service = bearer.params['service'];
    return scheme;
  }
  return findChallenge(header, 'basic') ? { kind: 'basic' } : undefined;
}

function basic(credentials: Credentials, secrets: Secrets): string {
  const encoded = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
  secrets.add(encoded);
  return `Basic ${encoded}`;
}
