/** `docker build` of one image, with whichever builder this machine's client has. */
import { spawnLines } from '../process/spawn';
import { UserError } from '../errors';
import type { BuildxBuilder } from './builder';
import type { DockerClient } from './client';

/** One image's docker build: what the plan decided, in docker's terms. */
export interface DockerBuildRequest {
  /** Absolute path of the build context: the image directory. */
  contextDir: string;
  /** The Dockerfile with MZFROM rewritten; handed to docker on stdin, never written to the repository. */
  dockerfile: string;
  tag: string;
  buildArgs: Record<string, string>;
  labels: Record<string, string>;
  platform: string;
}

/** The build command's first words: a chosen buildx builder loads what it builds into the engine, or pushes it when it cannot. */
export function buildCommand(client: DockerClient, builder?: BuildxBuilder): string[] {
  if (builder) return ['buildx', 'build', '--builder', builder.name, builder.loads ? '--load' : '--push'];
  return client.builder === 'buildx' ? ['buildx', 'build', '--load'] : ['build'];
}

/**
 * `docker build` of one image, the Dockerfile on stdin (it is never written into the
 * repository), with buildx where it works, BuildKit where the client has it built in, and the
 * classic builder otherwise. Every output line goes to `onLine`.
 */
export async function buildImage(
  client: DockerClient,
  request: DockerBuildRequest,
  onLine: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  builder?: BuildxBuilder,
): Promise<void> {
  const args = [
    ...buildCommand(client, builder),
    ...(client.builder === 'classic' ? [] : ['--progress=plain']),
    '--file',
    '-',
    '--tag',
    request.tag,
    '--platform',
    request.platform,
    ...Object.entries(request.buildArgs).flatMap(([key, value]) => ['--build-arg', `${key}=${value}`]),
    ...Object.entries(request.labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]),
    request.contextDir,
  ];
  const tail: string[] = [];
  let foreignBinary = false;
  const result = await spawnLines(client.command, args, {
    env: { ...env, DOCKER_BUILDKIT: client.builder === 'classic' ? '0' : '1' },
    input: request.dockerfile,
    onLine: (line) => {
      onLine(line);
      if (line.trim() !== '') tail.splice(0, tail.length, line);
      if (/exec format error/.test(line)) foreignBinary = true;
    },
  });
  if (result.code !== 0) {
    // A RUN step of an image for another architecture needs the engine to emulate it.
    const hint = foreignBinary
      ? `; running ${request.platform} programs on this host needs emulation: install Debian's qemu-user-static and binfmt-support`
      : '';
    throw new UserError(`docker build of ${request.tag} failed (exit ${result.code}): ${tail[0] ?? ''}${hint}`);
  }
}
