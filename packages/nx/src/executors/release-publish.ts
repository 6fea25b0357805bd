/**
 * The nx-release-publish executor: what `nx release` (and `nx release publish`) runs for an image
 * project. It moves the release's version tag, `v<version>`, to the multi-arch index of the image
 * as this tree fingerprints it (as `mzimage publish-multiarch`), through the registry API alone:
 * nothing is pulled or built, so the per-architecture images must have been published first.
 */
import { findImages, isUserError, loadContext, publishMultiArch } from '@mzbuild/core';
import { logger, type ExecutorContext } from '@nx/devkit';
import { warnOnce } from './image-tasks';

export interface ReleasePublishOptions {
  image: string;
  /** Given by `nx release --dry-run`: check everything, write nothing. */
  dryRun?: boolean;
  /** A further tag to move with the version tag, as `nx release publish --tag=latest` asks. */
  tag?: string;
  /** Given by `nx release`: the version each project was given. */
  nxReleaseVersionData?: Record<string, { newVersion: string | null } | undefined>;
  /** Nx passes these for npm packages; an image has no use for them. */
  registry?: string;
  otp?: number;
  access?: string;
  firstRelease?: boolean;
}

export default async function releasePublishExecutor(options: ReleasePublishOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const project = context.projectName!;
  const data = options.nxReleaseVersionData;
  if (data === undefined) {
    logger.error(
      `mzbuild: ${project}: nx-release-publish needs the version that nx release gives each project: run \`nx release\` ` +
        '(version and publish in one command), or move a tag with `mzimage publish-multiarch vX.Y.Z IMAGE`',
    );
    return { success: false };
  }
  const version = data[project]?.newVersion;
  if (!version) {
    logger.info(`mzbuild: ${project}: no new version in this release; no tag moved`);
    return { success: true };
  }
  const tags = [`v${version}`, ...(options.tag === undefined ? [] : [options.tag])];
  try {
    const mzbuild = await loadContext({ cwd: context.root, warn: warnOnce, persistentCache: true });
    const targets = findImages(mzbuild.repository, [options.image]);
    for (const tag of tags) {
      const [result] = await publishMultiArch(mzbuild, targets, tag, mzbuild.registry(), { dryRun: options.dryRun ?? false });
      const signed = result!.signed && result!.signed.length > 0 ? ` (${options.dryRun ? 'and sign' : 'signed'} ${result!.signed.join(', ')})` : '';
      const written = result!.references.join(', ') + signed;
      if (result!.skipped) logger.info(`mzbuild: ${options.image}: no ${tag}: ${result!.skipped}`);
      else logger.info(`mzbuild: ${options.image}: ${options.dryRun ? `would write the index ${written} (dry run: nothing written)` : `wrote the index ${written}`}`);
    }
    await mzbuild.close();
    return { success: true };
  } catch (error) {
    if (!isUserError(error)) throw error;
    logger.error(`mzbuild: ${options.image}: ${error.message}`);
    return { success: false };
  }
}
