// The cache-server room's way in: Nx's remote cache served from a registry, put together from the store, the HTTP handler and the listener.
import type { RegistryClient } from '../registry/client';
import type { PublicKey, SigningKey } from '../signing/keys';
import type { VerifiedCache } from '../signing/verified-cache';
import { hostPlatform } from './artifact';
import type { ListenAddress } from './options';
import { Collector } from './memory';
import { listen, type RunningServer } from './server';
import { CacheStore } from './store';
import { Trouble } from './trouble';

export { tuneForStreaming } from './memory';
export { ARTIFACT_TYPE, LAYER_MEDIA_TYPE, entryTag, hostPlatform } from './artifact';
export { cacheRepository, DEFAULT_MAX_BYTES, parseListen, parseSize, type ListenAddress } from './options';
export type { RunningServer } from './server';

export interface CacheServerOptions {
  client: RegistryClient;
  listen: ListenAddress;
  /** Where entries are written and first read. */
  repository: string;
  /** Read, never written, after `repository`. */
  readFrom?: string[];
  maxBytes: number;
  token?: string;
  signingKey?: SigningKey;
  trustedKeys?: readonly PublicKey[];
  verifiedCache?: VerifiedCache;
  /** Default the host's (see entryTag). */
  platform?: string;
  warn: (message: string) => void;
  spoolDir?: string;
  /** A garbage collection to run while requests are under way (memory.ts: tuneForStreaming). */
  collectGarbage?: () => void;
}

export interface CacheServer extends RunningServer {
  /** A line for the end of the run, when something was answered otherwise than the registry would have. */
  summary(): string | undefined;
}

export async function startCacheServer(options: CacheServerOptions): Promise<CacheServer> {
  const trouble = new Trouble(options.warn);
  const store = new CacheStore({
    client: options.client,
    repository: options.repository,
    readFrom: options.readFrom ?? [],
    platform: options.platform ?? hostPlatform(),
    maxBytes: options.maxBytes,
    ...(options.signingKey ? { signingKey: options.signingKey } : {}),
    trustedKeys: options.trustedKeys ?? [],
    ...(options.verifiedCache ? { verifiedCache: options.verifiedCache } : {}),
    ...(options.spoolDir ? { spoolDir: options.spoolDir } : {}),
  });
  const server = await listen(options.listen, { store, trouble, maxBytes: options.maxBytes, collector: new Collector(options.collectGarbage), ...(options.token ? { token: options.token } : {}) });
  return { ...server, summary: () => trouble.summary() };
}
