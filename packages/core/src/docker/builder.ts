/**
 * A docker buildx builder chosen by name (`--builder`, `MZBUILD_BUILDER`): whether this client can
 * use it, and whether it can load what it builds into an engine. One that cannot (the remote
 * driver: BuildKit running elsewhere, with no engine of its own to load into) pushes each image to
 * the registry as it builds it, so the image is published, not local.
 */
import { UserError } from '../errors';
import { firstLine } from '../text';
import { exec, type DockerClient } from './client';

export interface BuildxBuilder {
  name: string;
  /** `docker`, `docker-container`, `kubernetes`, `remote`. */
  driver: string;
  /** Whether `--load` puts the image into the engine; otherwise the build pushes it (`--push`). */
  loads: boolean;
}

/** Drivers that build where no engine can take the result: images leave them only by a push. */
const PUSH_ONLY = new Set(['remote']);

const known = new Map<string, Promise<BuildxBuilder>>();

/** The builder `name`, as `docker buildx inspect` describes it; asked once per client and name. */
export function buildxBuilder(client: DockerClient, name: string, env: NodeJS.ProcessEnv): Promise<BuildxBuilder> {
  const key = JSON.stringify([client.command, env['DOCKER_HOST'] ?? null, env['DOCKER_CONTEXT'] ?? null, env['DOCKER_CONFIG'] ?? null, name]);
  let builder = known.get(key);
  if (!builder) {
    builder = inspect(client, name, env);
    known.set(key, builder);
    builder.catch(() => known.delete(key)); // a builder created meanwhile is found next time
  }
  return builder;
}

async function inspect(client: DockerClient, name: string, env: NodeJS.ProcessEnv): Promise<BuildxBuilder> {
  if (client.builder !== 'buildx') {
    throw new UserError(
      `builder ${name} (--builder, MZBUILD_BUILDER or nx.json's builder) is a docker buildx builder, but ${client.command} ${client.clientVersion} has no buildx: install the buildx plugin, or unset the builder`,
    );
  }
  const result = await exec(client.command, ['buildx', 'inspect', name], env);
  if (result.code !== 0) {
    throw new UserError(`docker buildx has no builder ${name} (${firstLine(result.stderr)}); create it (docker buildx create --name ${name} …), or choose another with --builder`);
  }
  const driver = driverOf(result.stdout);
  if (driver === undefined) throw new UserError(`docker buildx inspect ${name} did not name the builder's driver; is ${client.command} a docker client?`);
  return { name, driver, loads: !PUSH_ONLY.has(driver) };
}

/** The `Driver:` line of `docker buildx inspect`'s output. */
export function driverOf(inspectOutput: string): string | undefined {
  return /^Driver:\s*(\S+)/m.exec(inspectOutput)?.[1];
}
