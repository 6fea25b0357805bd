// The one authorised request layer: every request to a registry's API is authorised, redirected, retried after a 401 and has its failures typed here.
import { UserError } from '../errors';
import { RegistryAuth, type AuthContext } from './auth';
import { registryOrigin } from './endpoint';
import { parseErrorBody, RegistryError, RegistryNetworkError, requestLine, type RegistryErrorFields } from './errors';
import type { Repository } from './scopes';
import type { Secrets } from './secrets';
import { discard } from './streams';
import { NetworkError, type HttpRequest, type HttpResponse, type StreamRequest, type StreamResponse } from './transport';

export interface SendOptions {
  /** Whether a GET or HEAD follows redirects (default true); a blob's HEAD takes a redirect (to a CDN) for its answer. */
  redirects?: boolean;
}

type Headers = Record<string, string | string[] | undefined>;

/** How one request is sent, for the authorising loop that serves buffered and streamed requests alike. */
interface Exchange<R extends { status: number; headers: Headers }> {
  url: string;
  send(url: string, authorization: string | undefined): Promise<R>;
  /** Lets go of an answer that is not returned (a stream's body holds its connection). */
  release(response: R): void;
  /** Whether a 401 may be answered by sending again: a stream's body cannot be sent twice. */
  resendable: boolean;
  follow: boolean;
}

const MAX_REDIRECTS = 5;

/**
 * A client's requests to registries, authorised per repository scope: the registry's scheme
 * learned first (one ping per registry), credentials looked up and bearer tokens fetched only when
 * it asks for them, a 401 answered once with fresh credentials, redirects followed with
 * credentials only to the registry's own origin. Any HTTP answer is returned for its caller to
 * read; when there is none, or authorising fails, it throws a RegistryError (a UserError, secrets
 * redacted). Nothing above this class sees an Authorization header or a 401 challenge.
 */
export class RegistrySession {
  readonly secrets: Secrets;
  private readonly auths = new Map<string, RegistryAuth>();

  /** `ctx` is every registry's: one transport, one environment, one set of secrets. */
  constructor(private readonly ctx: AuthContext) {
    this.secrets = ctx.secrets;
  }

  /** `<origin>/v2/<repository>/<path>`. */
  url(repo: Repository, path: string): string {
    return `${registryOrigin(repo.registry, this.ctx.env)}/v2/${repo.repository}/${path}`;
  }

  /**
   * Learns how a registry wants requests authorised (GET /v2/), unless known; every request does
   * so first. A caller asking many images of one registry calls it once, so that a registry that
   * is down is found so once.
   */
  ready(registry: string): Promise<void> {
    return this.authFor(registry).ensureScheme();
  }

  /** A request whose body, and its answer's, are held in memory; the transport retries it. */
  async send(repo: Repository, scope: string, req: HttpRequest, options: SendOptions = {}): Promise<HttpResponse> {
    try {
      return await this.authorized(repo, scope, {
        url: req.url,
        send: (url, authorization) => this.ctx.transport.send(withAuthorization({ ...req, url }, authorization)),
        release: () => undefined,
        resendable: true,
        follow: options.redirects !== false && (req.method === 'GET' || req.method === 'HEAD'),
      });
    } catch (error) {
      throw this.typed(repo, req, error);
    }
  }

  /**
   * A streamed request (see Transport.stream), tried once: a GET follows redirects and answers a
   * 401 once with fresh credentials; a PUT does neither, its body being sent as it comes (its
   * caller starts over). The answer's body is the caller's to read or discard.
   */
  async stream(repo: Repository, scope: string, req: StreamRequest): Promise<StreamResponse> {
    const get = req.method === 'GET';
    try {
      return await this.authorized(repo, scope, {
        url: req.url,
        send: (url, authorization) => this.ctx.transport.stream({ ...req, url, headers: { ...req.headers, ...(authorization ? { authorization } : {}) } }),
        release: (response) => discard(response.body),
        resendable: get,
        follow: get,
      });
    } catch (error) {
      throw this.typed(repo, req, error);
    }
  }

  /**
   * The RegistryError for an answer that is not the one wanted: refused access (naming where the
   * credentials came from, never them), or the status and the registry's own error codes.
   */
  async failure(repo: Repository, req: { method: string; url: string }, response: HttpResponse): Promise<RegistryError> {
    const request = requestLine(req);
    // Redacted before it is cut: a secret cut in half would no longer be found.
    const { codes, detail } = parseErrorBody(this.secrets.redact(response.body));
    const fields = { request, status: response.status, codes };
    if (response.status === 401 || response.status === 403) {
      const access = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push';
      const credentials = await this.describeCredentials(repo.registry);
      return this.error(repo.registry, `refused ${access} access to ${repo.repository} (${response.status} to ${request.method} ${request.path}, ${credentials})`, fields);
    }
    return this.error(repo.registry, `answered ${response.status} to ${request.method} ${request.path}${detail}`, fields);
  }

  /** For messages: `with credentials from X`, or `without credentials: ` and what to do or what failed. */
  describeCredentials(registry: string): Promise<string> {
    return this.authFor(registry).describeCredentials();
  }

  /** A RegistryError, `registry <host> <reason>`, redacted. */
  error(registry: string, reason: string, fields: Omit<RegistryErrorFields, 'registry'> = {}): RegistryError {
    return new RegistryError(this.secrets, { registry, ...fields }, reason);
  }

  /** A UserError that is not the registry's (the caller's), redacted all the same. */
  userError(message: string): UserError {
    return new UserError(this.secrets.redact(message));
  }

  /**
   * Sends with the Authorization for `scope` where it is the registry's own origin; a 401 there is
   * answered once, with credentials learned from its challenge; redirects are followed, each hop
   * authorised anew (a CDN gets no credentials).
   */
  private async authorized<R extends { status: number; headers: Headers }>(repo: Repository, scope: string, x: Exchange<R>): Promise<R> {
    const auth = this.authFor(repo.registry);
    const origin = registryOrigin(repo.registry, this.ctx.env);
    const own = (url: string) => sameOrigin(url, origin);
    await auth.ensureScheme();
    let url = x.url;
    let authorization = own(url) ? await auth.authorization(scope) : undefined;
    let reauthorized = !x.resendable;
    for (let hops = 0; ; ) {
      const response = await x.send(url, authorization);
      if (response.status === 401 && !reauthorized && own(url)) {
        reauthorized = true;
        let retry: string | undefined;
        try {
          retry = await auth.reauthorize(response.headers['www-authenticate'], scope, authorization);
        } catch (error) {
          x.release(response);
          throw error;
        }
        if (retry === undefined) return response;
        x.release(response);
        authorization = retry;
        continue;
      }
      const location = header(response, 'location');
      if (!x.follow || !isRedirect(response.status) || location === undefined || hops++ >= MAX_REDIRECTS) return response;
      x.release(response);
      url = new URL(location, url).toString();
      authorization = own(url) ? await auth.authorization(scope) : undefined;
    }
  }

  /** A transport's NetworkError as the RegistryNetworkError of the request (as first asked); RegistryErrors as they are. */
  private typed(repo: Repository, req: { method: string; url: string }, error: unknown): unknown {
    if (!(error instanceof NetworkError)) return error;
    return new RegistryNetworkError(this.secrets, { registry: repo.registry, request: requestLine(req) }, error.message);
  }

  /** The one RegistryAuth of a registry, kept with its scheme and tokens for the life of the client. */
  private authFor(registry: string): RegistryAuth {
    let auth = this.auths.get(registry);
    if (!auth) {
      auth = new RegistryAuth(registry, this.ctx);
      this.auths.set(registry, auth);
    }
    return auth;
  }
}

function withAuthorization(req: HttpRequest, authorization: string | undefined): HttpRequest {
  return authorization === undefined ? req : { ...req, headers: { ...req.headers, authorization } };
}

function sameOrigin(url: string, origin: string): boolean {
  try {
    return new URL(url).origin === new URL(origin).origin;
  } catch {
    return false;
  }
}

export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function header(response: { headers: Headers }, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
