// Getting a blob into a repository: found there, mounted from another of the same registry, or streamed across with its own retry loop.
import { Semaphore } from '../semaphore';
import { blobExists, mountBlob, startUpload } from './blob-requests';
import { parseErrorBody, RegistryError, RegistryNetworkError, requestLine } from './errors';
import type { Descriptor } from './manifests';
import type { Route } from './scopes';
import type { RegistrySession } from './session';
import { discard, readSmall } from './streams';
import { isRetryable, type StreamRequest, type StreamResponse } from './transport';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BlobTransferOptions {
  /** Blob transfers at once, each a GET feeding a PUT. */
  transfers: number;
  /** Transfers started over after one that breaks off or gets a 5xx, with exponential backoff. */
  retries: number;
  retryDelayMs: number;
}

/**
 * The blob transfers of one client. Copies that run at once (the images of an index, the images
 * of a publish) often share blobs; two mounts or uploads of one blob into one repository at the
 * same time can leave the registry refusing the manifests that need it, so a second asker waits
 * for the transfer under way instead of starting its own.
 */
export class BlobTransfers {
  private readonly slots: Semaphore;
  /** Transfers under way, by destination repository and digest. */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly session: RegistrySession,
    private readonly options: BlobTransferOptions,
  ) {
    this.slots = new Semaphore(options.transfers);
  }

  /** HEAD in the destination; missing, a mount on the same registry, else (or when refused) a copy. */
  ensure(route: Route, blob: Descriptor): Promise<void> {
    const key = `${route.dst.registry}/${route.dst.repository}@${blob.digest}`;
    let transfer = this.inFlight.get(key);
    if (!transfer) {
      transfer = this.bring(route, blob).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, transfer);
    }
    return transfer;
  }

  private async bring(route: Route, blob: Descriptor): Promise<void> {
    if (await blobExists(this.session, route.dst, blob.digest, route.dstScope)) return;
    let upload: string | undefined;
    if (route.src.registry === route.dst.registry && route.src.repository !== route.dst.repository) {
      const mounted = await mountBlob(this.session, route.dst, route.src, blob.digest, route.dstScope);
      if (mounted === true) return;
      upload = mounted;
    }
    await this.copy(route, blob, upload);
  }

  /**
   * Copies a blob from one repository to another, possibly of another registry, as a stream: a
   * GET from the source feeding a monolithic PUT of the upload (opened by a POST, or the one
   * given). The bytes pass through memory a chunk at a time. A transfer that breaks off, or gets
   * a 5xx, starts over from a new upload, `retries` times; the registry checks the digest.
   */
  private async copy(route: Route, blob: Descriptor, upload: string | undefined): Promise<void> {
    const { retries, retryDelayMs } = this.options;
    for (let attempt = 0; ; attempt++) {
      const failed = await this.slots.run(() => this.copyOnce(route, blob, upload));
      upload = undefined;
      if (failed === undefined) return;
      if (!isTransient(failed) || attempt >= retries) throw failed;
      await sleep(retryDelayMs * 2 ** attempt);
    }
  }

  /**
   * One attempt: undefined when the blob is there, else the failure of the GET or the PUT, for
   * `copy` to start over from or to report. What fails before them (opening the upload,
   * authorising) is thrown: the transport has retried it already.
   */
  private async copyOnce(route: Route, blob: Descriptor, upload: string | undefined): Promise<RegistryError | undefined> {
    const { src: from, srcScope, dst: to, dstScope } = route;
    const location = upload ?? (await startUpload(this.session, to, dstScope));
    const getReq: StreamRequest = { method: 'GET', url: this.session.url(from, `blobs/${blob.digest}`) };
    let source: StreamResponse;
    try {
      source = await this.session.stream(from, srcScope, getReq);
    } catch (error) {
      if (error instanceof RegistryNetworkError) return error;
      throw error;
    }
    if (source.status !== 200) {
      const response = { status: source.status, headers: source.headers, body: await readSmall(source.body) };
      if (source.status === 404) {
        const reason = `does not have the blob ${blob.digest} that ${from.repository} refers to`;
        return this.session.error(from.registry, reason, { request: requestLine(getReq), status: 404, codes: parseErrorBody(response.body).codes });
      }
      return this.session.failure(from, getReq, response);
    }

    const url = new URL(location);
    url.searchParams.set('digest', blob.digest);
    const putReq: StreamRequest = {
      method: 'PUT',
      url: url.toString(),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
      body: source.body,
    };
    let put: StreamResponse;
    try {
      put = await this.session.stream(to, dstScope, putReq);
    } catch (error) {
      // Which side broke off: the source's answer, or the upload.
      const sourceBroke = source.body.errored !== null && source.body.errored !== undefined;
      discard(source.body);
      if (!(error instanceof RegistryNetworkError)) throw error;
      return this.brokeOff(route, blob, sourceBroke ? getReq : putReq, sourceBroke, error);
    }
    const response = { status: put.status, headers: put.headers, body: await readSmall(put.body) };
    discard(source.body); // read to its end by now, unless the registry answered early
    if (put.status >= 200 && put.status <= 299) return undefined;
    return this.session.failure(to, putReq, response);
  }

  /** A transfer cut short, told by the side that broke off: the registry sending the blob, or the one taking it. */
  private brokeOff(route: Route, blob: Descriptor, req: StreamRequest, sourceBroke: boolean, error: RegistryNetworkError): RegistryNetworkError {
    const { src: from, dst: to } = route;
    const request = requestLine(req);
    const what = sourceBroke
      ? `sending the blob ${blob.digest} (GET ${request.path}), to copy it to ${to.registry}/${to.repository}`
      : `the upload of the blob ${blob.digest} from ${from.registry}/${from.repository} (PUT ${request.path})`;
    const registry = sourceBroke ? from.registry : to.registry;
    return new RegistryNetworkError(this.session.secrets, { registry, request }, error.failure, `broke off ${what}: ${error.failure}`);
  }
}

/** Whether starting over might get another answer: none at all, or 408, 429 and 5xx. */
function isTransient(error: RegistryError): boolean {
  return error instanceof RegistryNetworkError || (error.status !== undefined && isRetryable(error.status));
}
