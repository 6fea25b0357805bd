// The token scopes requests are authorised for: what a request may read and write decides which token it carries.

/** A repository of a registry: `{ registry: 'ghcr.io', repository: 'acme/web' }`. */
export interface Repository {
  registry: string;
  repository: string;
}

/** The token scope to read a repository. */
export function pullScope(repo: Repository): string {
  return `repository:${repo.repository}:pull`;
}

/**
 * The token scope to write a repository, and to read others along with it (the sources of
 * cross-repository mounts, which a registry only performs with pull access to them).
 */
export function pushScope(repo: Repository, ...reading: Repository[]): string {
  const others = reading.filter((r) => r.registry === repo.registry && r.repository !== repo.repository).map(pullScope);
  return [`repository:${repo.repository}:pull,push`, ...new Set(others)].join(' ');
}

/** Where content goes, and with what token scopes: one token per registry and copy. */
export interface Route {
  src: Repository;
  srcScope: string;
  dst: Repository;
  dstScope: string;
}

/**
 * The way from one repository to another. On one registry, a single scope (push to the
 * destination, pull from the source) serves every request, and allows cross-repository mounts.
 */
export function routeOf(src: Repository, dst: Repository): Route {
  const shared = src.registry === dst.registry;
  const dstScope = shared ? pushScope(dst, src) : pushScope(dst);
  return { src, dst, srcScope: shared ? dstScope : pullScope(src), dstScope };
}
