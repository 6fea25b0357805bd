/** The fingerprint executor: prints an image's fingerprint and reference, as `mzimage fingerprint` does. */
import { findImages, isUserError, loadContext, type SharedOptions } from '@mzbuild/core';
import { logger, type ExecutorContext } from '@nx/devkit';

export interface FingerprintOptions extends SharedOptions {
  image: string;
}

/**
 * Prints the image's fingerprint and full reference. It is computed here, from the files on disk
 * in this run, never taken from an earlier run or another working tree.
 */
export default async function fingerprintExecutor(options: FingerprintOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { image: name, ...flags } = options;
  try {
    const { repository, resolver, config } = await loadContext({ cwd: context.root, flags, persistentCache: true });
    const [image] = findImages(repository, [name]);
    const resolved = (await resolver.resolve([image!], config)).find((r) => r.image === image)!;
    resolver.saveCache();
    console.log(resolved.fingerprint);
    console.log(resolved.reference);
    return { success: true };
  } catch (error) {
    if (!isUserError(error)) throw error;
    logger.error(error.message);
    return { success: false };
  }
}
