/** The explain executor: why an image is not reused, as `mzimage explain` says it. */
import { explainSince, findImages, formatExplanations, isUserError, loadContext, type SharedOptions } from '@mzbuild/core';
import { logger, type ExecutorContext } from '@nx/devkit';

export interface ExplainOptions extends SharedOptions {
  image: string;
  /** The revision to compare with; default the merge base with origin/HEAD. */
  since?: string;
  json?: boolean;
}

/** Prints the image's fingerprint now and at the revision, and the inputs, configuration and dependencies that differ. */
export default async function explainExecutor(options: ExplainOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const { image: name, since, json, ...flags } = options;
  try {
    const mzbuild = await loadContext({ cwd: context.root, flags, persistentCache: true });
    const explanations = await explainSince(mzbuild, findImages(mzbuild.repository, [name]), since);
    mzbuild.resolver.saveCache();
    process.stdout.write(json ? `${JSON.stringify(explanations, null, 2)}\n` : formatExplanations(explanations));
    return { success: true };
  } catch (error) {
    if (!isUserError(error)) throw error;
    logger.error(error.message);
    return { success: false };
  }
}
