/** This machine's locks of the images a run builds or pushes (in the user's cache directory), and where an image another run built is found. */
import type { MzbuildContext } from '../context';
import { localImages } from '../docker/client';
import { isUserError, UserError } from '../errors';
import { cacheDirectory } from '../hash-cache';
import { lock, lockDirectory, lockFileOf, tryLock, type HeldLock, type LockHolder } from '../lock-file';
import type { Found } from './execute';
import type { PlanEntry } from './plan';

/**
 * Takes this machine's lock `key` (e.g. `build <reference>`): now, or undefined when another live
 * process holds it (`wait` false); or once that process is done or gone (`wait` hears of it once).
 * The locks are in the cache directory, not the repository: two checkouts that build the same
 * reference into the one engine build it once.
 */
export async function lockImage(env: NodeJS.ProcessEnv, key: string, wait: false | ((holder: LockHolder) => void)): Promise<HeldLock | undefined> {
  const file = lockFileOf(lockDirectory(cacheDirectory(env)), key);
  try {
    if (wait !== false) return await lock(file, key, wait);
    const taken = tryLock(file, key);
    return 'release' in taken ? taken : undefined;
  } catch (error) {
    if (isUserError(error)) throw error;
    throw new UserError(`cannot take the lock ${file}: ${(error as Error).message}; mzbuild keeps its locks in its cache directory (set MZBUILD_CACHE_DIR to move it)`);
  }
}

/**
 * Where an image is after another run that was building it let its lock go: in the engine, else
 * in the registry (verified by a trusted key, when there are keys), else nowhere (that run failed
 * or was killed).
 */
export async function foundAfterWaiting(context: MzbuildContext, entry: PlanEntry): Promise<Found> {
  if ((await localImages(context.docker, context.env)).has(entry.reference)) return 'local';
  if (!context.config.registry || !entry.publish) return undefined;
  const answer = (await context.registry().checkPresence([entry.reference])).get(entry.reference);
  if (answer?.existence !== 'present') return undefined;
  const keys = await context.trustedKeys();
  if (keys.length === 0) return { registry: true };
  if (!answer.digest) return undefined;
  const trust = await context.registry().verify(entry.reference, answer.digest, keys, { cache: context.verifiedCache() });
  return trust.trusted ? { registry: true, digest: answer.digest } : undefined;
}
