// The cache server's HTTP listener: bound to loopback, its URL known once it listens, closed after the requests under way.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../errors';
import { cacheHandler, type HandlerOptions } from './http';
import type { ListenAddress } from './options';

export interface RunningServer {
  /** `http://127.0.0.1:PORT`: what NX_SELF_HOSTED_REMOTE_CACHE_SERVER is set to. */
  url: string;
  /** Stops listening and waits for the requests under way. */
  close(): Promise<void>;
}

export async function listen(address: ListenAddress, options: Omit<HandlerOptions, 'hosts'>): Promise<RunningServer> {
  let hosts = new Set<string>();
  const server: Server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 30 * 60_000 }, cacheHandler({ ...options, hosts: () => hosts }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new UserError(`cannot listen on ${address.host}:${address.port} (${error.code ?? error.message})`)));
    server.listen(address.port, address.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  hosts = new Set([`${host}:${port}`, `localhost:${port}`]);
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
