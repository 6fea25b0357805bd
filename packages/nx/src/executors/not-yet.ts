import { logger, type ExecutorContext } from '@nx/devkit';

/**
 * docker-build and publish are declared so that the task graph and `nx affected` already know
 * them; building and pushing are not implemented yet, and a task that did nothing must not pass
 * for one that built an image.
 */
export default async function notYetExecutor(options: { image: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  logger.error(`${context.targetName ?? 'this target'} of image ${options.image} is not implemented yet in @mzbuild/nx; nothing was built or pushed`);
  return { success: false };
}
