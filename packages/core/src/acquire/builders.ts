/** The real cargo, copy, docker build and docker pull that carrying out a plan uses (tests give recording ones). */
import type { MzbuildContext } from '../context';
import { runCargoBuilds, runCopy } from '../preimage/pre-images';
import { buildImage } from '../docker/build';
import { buildxBuilder, type BuildxBuilder } from '../docker/builder';
import { dockerClient, pullImage, tagImage } from '../docker/client';
import type { Config } from '../config';
import { UserError } from '../errors';
import { cleanImageDirectories } from '../preimage/clean';
import { foundAfterWaiting, lockImage } from './claims';
import type { Builders } from './execute';

/** The real cargo, copy, docker build and docker pull, this machine's locks and git's clean, for executePlan. */
export function realBuilders(context: MzbuildContext): Builders {
  const { repository, config, env } = context;
  const preImageOptions = (onOutput: (line: string) => void) => ({
    root: repository.root,
    config,
    env,
    onOutput,
    visibleFiles: new Set(repository.files),
    workspace: () => repository.cargo(config.compat),
    sccache: config.sccache,
    ...(env['MZBUILD_CARGO'] ? { cargoCommand: env['MZBUILD_CARGO'].split(' ').filter(Boolean) } : {}),
  });
  return {
    cargo: (requests, onLine) => runCargoBuilds(requests, preImageOptions(onLine)),
    copy: (image, step, onLine) => runCopy(image.dir, step, { ...preImageOptions(onLine), files: repository.files }),
    dockerBuild: async (request, onLine) => {
      const client = await dockerClient(env);
      const builder = config.builder ? await buildxBuilder(client, config.builder, env) : undefined;
      if (builder && !builder.loads) checkPushOnly(config, builder);
      await buildImage(client, request, onLine, env, builder);
      return { pushed: builder !== undefined && !builder.loads };
    },
    pull: (reference) => pullImage(context.docker, reference, env),
    tag: (source, target) => tagImage(context.docker, source, target, env),
    lock: (reference, wait) => lockImage(env, `build ${reference}`, wait),
    found: (entry) => foundAfterWaiting(context, entry),
    // Only images with pre-images: what git ignores in another image's directory is the user's,
    // not an earlier build's (e.g. dependencies its Dockerfile copies).
    clean: (images, onLine) =>
      cleanImageDirectories(repository.root, images.filter((image) => image.manifest.preImages.length > 0).map((image) => image.dir), onLine),
  };
}

/**
 * A builder that pushes as it builds needs a registry to push to, and must not be used by a job
 * that may only write to a cache registry: it would push to the registry that trusted jobs read.
 */
function checkPushOnly(config: Config, builder: BuildxBuilder): void {
  const what = `builder ${builder.name} (driver ${builder.driver}) cannot load images into an engine, only push them to a registry as it builds them`;
  if (!config.registry) throw new UserError(`${what}: set the registry to push to (--image-registry, MZBUILD_REGISTRY or nx.json)`);
  if (config.cacheRegistry) throw new UserError(`${what}, which a job with a cache registry must not do: use a builder that loads (driver docker or docker-container)`);
}
