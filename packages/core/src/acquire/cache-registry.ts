/**
 * The cache registry of an untrusted job (a pull request's): where it pushes instead of the
 * registry and mirrors, and where it looks for an image the registry lacks. Here: an image's
 * reference there, and the check that it is a namespace of its own.
 */
import type { Config } from '../config';
import { UserError } from '../errors';

/**
 * Maps an image's reference in the registry to its reference in the cache registry (the same
 * repository path and tag under the cache registry's name); undefined without a cache registry.
 */
export function cacheReferenceOf(config: Pick<Config, 'registry' | 'mirrors' | 'cacheRegistry'>): ((reference: string) => string) | undefined {
  const { registry, cacheRegistry } = config;
  if (cacheRegistry === undefined || registry === undefined) return undefined;
  checkCacheRegistry(config);
  return (reference) => (reference.startsWith(`${registry}/`) ? `${cacheRegistry}${reference.slice(registry.length)}` : reference);
}

/**
 * A cache registry that is the registry or a mirror would have untrusted jobs write where trusted
 * jobs read: the very hole it is there to close.
 */
export function checkCacheRegistry({ registry, mirrors, cacheRegistry }: Pick<Config, 'registry' | 'mirrors' | 'cacheRegistry'>): void {
  if (cacheRegistry === undefined) return;
  if (cacheRegistry === registry || mirrors.includes(cacheRegistry)) {
    throw new UserError(
      `the cache registry ${cacheRegistry} is also the ${cacheRegistry === registry ? 'registry' : 'mirror'}: an untrusted job would push where trusted jobs read; ` +
        'give it a namespace of its own (MZBUILD_CACHE_REGISTRY, --cache-registry, or the plugin option "cacheRegistry")',
    );
  }
}
