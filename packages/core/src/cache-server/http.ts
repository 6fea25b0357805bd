// Nx's self-hosted remote cache API over HTTP: GET and PUT of /v1/cache/{hash}, answered only with the statuses Nx accepts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
// From the client, not its file: the CLI's bundles share one copy of the registry room (tools/bundle.js).
import { UploadSourceError } from '../registry/client';
import { isNxHash } from './artifact';
import type { Collector } from './memory';
import type { CacheStore } from './store';
import type { Trouble } from './trouble';

export interface HandlerOptions {
  store: CacheStore;
  trouble: Trouble;
  maxBytes: number;
  /** `MZBUILD_CACHE_TOKEN`: when set, a request must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** The Host headers the server answers to (its own loopback names): a web page cannot make a browser reach it under another name. */
  hosts: () => Set<string>;
  /** Told of each request from its start to its answer's end: see memory.ts. */
  collector?: Collector;
}

const PATH = /^\/v1\/cache\/([^/?#]+)$/;

/**
 * The request handler. Nx fails the whole run on any other answer than 200 or 404 to a GET and
 * 200, 403 or 409 to a PUT: every failure of the registry is a 404 (a miss) or a 403 (not
 * stored), told once by `trouble`. A PUT's body is read to its end before it is answered, even
 * when it will not be stored: an answer before the body is sent reaches Nx's client as a broken
 * connection, which would fail the run too.
 */
export function cacheHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);
  return (req, res) => {
    const end = options.collector?.begin();
    if (end) res.once('close', end);
    void handle(req, res).catch(() => {
      // A client gone mid-answer: nothing more to tell it.
      if (!res.headersSent) answer(res, req.method === 'PUT' ? 403 : 404, 'error');
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const match = PATH.exec(req.url ?? '');
    if (!options.hosts().has(req.headers.host ?? '')) return refuse(req, res, 403, 'this server answers only to its loopback address');
    if (expected && !authorized(req.headers.authorization, expected)) return refuse(req, res, 401, 'Unauthorized');
    if (!match) return refuse(req, res, 404, 'Not found: the API is /v1/cache/{hash}');
    const hash = decodeURIComponent(match[1]!);
    if (req.method === 'GET') return get(hash, res);
    if (req.method === 'PUT') return put(hash, req, res);
    res.setHeader('allow', 'GET, PUT');
    return refuse(req, res, 405, 'Method not allowed');
  }

  async function get(hash: string, res: ServerResponse): Promise<void> {
    if (!isNxHash(hash)) return answer(res, 404, 'Not found');
    let lookup;
    try {
      lookup = await options.store.lookup(hash);
      options.trouble.healthy();
    } catch (error) {
      options.trouble.registry(`cannot read the Nx cache entry ${hash}`, messageOf(error));
      return answer(res, 404, 'Not found');
    }
    if ('miss' in lookup) {
      if (lookup.miss !== 'absent') options.trouble.refused(lookup.miss, lookup.reference, lookup.reason);
      return answer(res, 404, 'Not found');
    }
    const { hit } = lookup;
    try {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(hit.size) });
      await hit.writeTo(res);
      res.end();
    } finally {
      hit.release();
    }
  }

  async function put(hash: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const length = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    if (!isNxHash(hash) || (length !== undefined && !Number.isSafeInteger(length))) return refuse(req, res, 403, 'Forbidden');
    if (length !== undefined && length > options.maxBytes) {
      options.trouble.tooLarge(hash, options.maxBytes);
      return refuse(req, res, 403, 'Forbidden: larger than the size cap');
    }
    let outcome;
    try {
      outcome = await options.store.store(hash, req, length);
      options.trouble.healthy();
    } catch (error) {
      if (error instanceof UploadSourceError) {
        if (error.problem === 'broke-off') return void res.destroy(); // Nx went away: no one to answer
        if (error.problem === 'too-large') options.trouble.tooLarge(hash, options.maxBytes);
        return refuse(req, res, 403, 'Forbidden');
      }
      options.trouble.registry(`cannot store the Nx cache entry ${hash}`, messageOf(error));
      return refuse(req, res, 403, 'Forbidden: the registry cannot store it now');
    }
    if (outcome === 'exists') return refuse(req, res, 409, 'Conflict: an entry for this hash exists');
    return refuse(req, res, 200, 'Stored');
  }
}

/** Answers once the request's body has been read to its end (see cacheHandler). */
async function refuse(req: IncomingMessage, res: ServerResponse, status: number, text: string): Promise<void> {
  if (!req.readableEnded && !req.destroyed) {
    await new Promise<void>((resolve) => {
      req.on('end', resolve);
      req.on('close', resolve);
      req.on('error', resolve);
      req.resume();
    });
  }
  if (req.destroyed && !req.complete) return void res.destroy();
  answer(res, status, text);
}

/** Plain text, as the spec has for 401 and every other answer without an archive. */
function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Compared as digests of equal length, in constant time: how long a wrong token takes says nothing of the right one. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  return header !== undefined && timingSafeEqual(digest(header), expected);
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The first line of an error's message (registry errors are redacted already); never a stack. */
function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!;
}
