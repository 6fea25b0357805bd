// The cache server's options as the command line gives them: a loopback address to listen on, a size cap, the repository of the entries.
import { UserError } from '../errors';

export interface ListenAddress {
  host: string;
  port: number;
}

/** 2 GiB: Nx builds each archive in memory, so larger outputs are no one's plan. */
export const DEFAULT_MAX_BYTES = 2 * 1024 ** 3;

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|localhost)$/;

/**
 * `127.0.0.1:PORT`, `[::1]:PORT`, `localhost:PORT` (PORT 0: any free one). Only loopback: the
 * server answers with whatever the registry holds under the credentials of the user who runs it,
 * so it must not be reachable from another machine.
 */
export function parseListen(value: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!match || !host || port > 65535) throw new UserError(`--listen ${value}: give a loopback address and a port, e.g. 127.0.0.1:4747 (port 0: any free port)`);
  if (!LOOPBACK.test(host)) throw new UserError(`--listen ${value}: the cache server listens on loopback only (127.0.0.1, [::1] or localhost), never where another machine could reach it`);
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
}

/** `2GiB`, `500MB`, `1048576`: units are binary (KB = KiB), as sizes of files are. */
export function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(B|K|KB|KiB|M|MB|MiB|G|GB|GiB|T|TB|TiB)?$/i.exec(value.trim());
  if (!match) throw new UserError(`--max-artifact-size ${value}: give a size such as 2GiB, 500MB or a number of bytes`);
  const unit = (match[2] ?? 'B').toUpperCase()[0]!;
  const bytes = Math.floor(Number(match[1]) * 1024 ** 'BKMGT'.indexOf(unit));
  if (bytes < 1) throw new UserError(`--max-artifact-size ${value}: must be at least one byte`);
  return bytes;
}

/**
 * Where entries go: the flag, then `MZBUILD_CACHE_REPOSITORY`, then `<registry>/<prefix>nx-cache`.
 * A different repository is a different scope: a pull request's jobs given their own write where
 * main's do not read.
 */
export function cacheRepository(flag: string | undefined, env: NodeJS.ProcessEnv, config: { registry: string | undefined; imagePrefix: string }): string {
  const named = flag ?? (env['MZBUILD_CACHE_REPOSITORY'] || undefined);
  if (named !== undefined) return named.replace(/\/+$/, '');
  if (config.registry === undefined) {
    throw new UserError('cache-server needs a registry: give --image-registry, MZBUILD_REGISTRY or nx.json\'s registry option, or --cache-repository');
  }
  return `${config.registry}/${config.imagePrefix}nx-cache`;
}
