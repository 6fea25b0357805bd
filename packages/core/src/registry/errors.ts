// The typed errors of the registry client, so that callers tell failures apart by status and error code, not by message text.
import { UserError } from '../errors';
import type { Secrets } from './secrets';

/** A request as messages name it: the method and the URL's path, never its query (an upload's `_state`, a CDN's signature). */
export interface RequestLine {
  method: string;
  path: string;
}

export function requestLine(req: { method: string; url: string }): RequestLine {
  return { method: req.method, path: pathOf(req.url) };
}

export interface RegistryErrorFields {
  registry: string;
  /** The request the error is about, when its message names one. */
  request?: RequestLine;
  /** The HTTP status of the answer, when there was one (a ping's, a manifest's). */
  status?: number;
  /** The registry's error codes from its answer's body (`MANIFEST_UNKNOWN`, `DENIED`, …), in order. */
  codes?: readonly string[];
}

/**
 * Something a registry did that stops a request: an answer that is not the one wanted, a refusal,
 * content that is not what was asked for, a failure to authorise. A UserError, since the user sees
 * it as it is: `registry <host> <reason>`, with every secret the client holds redacted.
 */
export class RegistryError extends UserError {
  readonly registry: string;
  readonly request: RequestLine | undefined;
  readonly status: number | undefined;
  readonly codes: readonly string[];
  /** The message after `registry <host> `, redacted. */
  readonly reason: string;

  constructor(secrets: Secrets, fields: RegistryErrorFields, reason: string) {
    super(secrets.redact(`registry ${fields.registry} ${reason}`));
    this.registry = fields.registry;
    this.request = fields.request;
    this.status = fields.status;
    this.codes = fields.codes ?? [];
    this.reason = secrets.redact(reason);
  }
}

/**
 * A request of a registry's API that got no answer (refused, reset, timed out, broken off), after
 * the transport's retries. Its message names the request, `<failure>, for PUT /v2/…`, unless it is
 * given another. Failures to authorise (the ping, the token service) are RegistryErrors: their
 * messages name what could not be reached.
 */
export class RegistryNetworkError extends RegistryError {
  declare readonly request: RequestLine;
  /**
   * Why there was no answer, without the request: `did not answer within 10 s (tried 4 times)`.
   * One warning for all of a registry's requests says this much.
   */
  readonly failure: string;

  constructor(secrets: Secrets, fields: { registry: string; request: RequestLine }, failure: string, reason?: string) {
    super(secrets, fields, reason ?? `${failure}, for ${fields.request.method} ${fields.request.path}`);
    this.failure = secrets.redact(failure);
  }
}

/**
 * A failure of one operation of the client, `cannot <operation>: <why>`; `cause` is the error
 * that said why (a RegistryError, with its status and codes), when one did.
 */
export class OperationError extends UserError {
  constructor(
    readonly operation: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The failures of one operation (`copy a to b`): `fail` makes its errors, and `within` runs a
 * task whose UserErrors it gives the operation's prefix, once: its own errors pass as they are.
 */
export function operation(secrets: Secrets, what: string): { fail(why: string): OperationError; within<T>(task: () => Promise<T>): Promise<T> } {
  const fail = (why: string, cause?: unknown) =>
    new OperationError(what, secrets.redact(`cannot ${what}: ${why}`), cause === undefined ? undefined : { cause });
  return {
    fail: (why) => fail(why),
    async within<T>(task: () => Promise<T>): Promise<T> {
      try {
        return await task();
      } catch (error) {
        if (error instanceof UserError && !(error instanceof OperationError && error.operation === what)) throw fail(error.message, error);
        throw error;
      }
    },
  };
}

/** Error answers are a little JSON, or an HTML page of a proxy; messages take the gist. */
const MAX_DETAIL = 300;

/**
 * What an error answer says: distribution's `{"errors":[{code, message}]}`, its codes and a
 * ` (CODE: message; …)` for messages; else the body's first line (not an HTML page's), cut.
 */
export function parseErrorBody(body: string): { codes: string[]; detail: string } {
  let codes: string[] = [];
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    if (Array.isArray(parsed.errors)) {
      codes = parsed.errors.map((e) => e?.code).filter((code): code is string => typeof code === 'string' && code !== '');
      detail = parsed.errors
        .map((e) => [e?.code, e?.message].filter((part) => typeof part === 'string' && part !== '').join(': '))
        .filter((part) => part !== '')
        .join('; ');
    }
  } catch {
    detail = /<html/i.test(body) ? '' : (body.split('\n')[0] ?? '').trim();
  }
  if (detail.length > MAX_DETAIL) detail = `${detail.slice(0, MAX_DETAIL)}…`;
  return { codes, detail: detail === '' ? '' : ` (${detail})` };
}

/** The path of a URL, without its query. */
function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0]!;
  }
}
