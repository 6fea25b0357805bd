/** The docker CLI for plain commands (images, pull, tag, push) and the detection of which client builds, and how. */
import { spawnLines } from '../process/spawn';
import { UserError } from '../errors';
import { firstLine } from '../text';

/**
 * The docker CLI as this machine has it. Several clients may be installed (a recent one without
 * the buildx plugin, Debian's 20.10 with BuildKit built in); which one builds, and how, is
 * detected once per process rather than assumed.
 */
export interface DockerClient {
  /** The client binary. */
  command: string;
  /**
   * How images are built: `buildx` (`docker buildx build --load`), `buildkit` (`docker build` with
   * DOCKER_BUILDKIT=1, a client of before 23 that has BuildKit built in) or `classic` (the
   * legacy builder, DOCKER_BUILDKIT=0).
   */
  builder: 'buildx' | 'buildkit' | 'classic';
  clientVersion: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short command to completion and collects its output; a missing command rejects (a UserError). */
export async function exec(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: string): Promise<ExecResult> {
  const stderr: string[] = [];
  const result = await spawnLines(command, args, {
    env,
    captureStdout: true,
    ...(input === undefined ? {} : { input }),
    onLine: (line, stream) => {
      if (stream === 'stderr') stderr.push(line);
    },
  });
  return { code: result.code, stdout: result.stdout ?? '', stderr: stderr.join('\n') };
}

/** The client for plain commands (images, pull, run), which every client can do: no detection. */
export function dockerCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env['MZBUILD_DOCKER'] || 'docker';
}

/**
 * The variables that choose the client and the engine it talks to: a process whose runs name
 * different engines (an Nx batch beside a test, two sessions) detects once per engine, since a
 * remote engine's client may differ in what it can build.
 */
export const ENGINE_ENV = ['MZBUILD_DOCKER', 'DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_CONFIG', 'PATH'] as const;

const detected = new Map<string, Promise<DockerClient>>();

/**
 * The client to use: `$MZBUILD_DOCKER` if set, else the first on PATH, with Debian's as a second
 * choice. Every docker command runs with the run's environment, so `DOCKER_HOST` and
 * `DOCKER_CONTEXT` send builds, pulls, pushes, tags and the listing of images to that engine.
 */
export function dockerClient(env: NodeJS.ProcessEnv = process.env): Promise<DockerClient> {
  const key = JSON.stringify(ENGINE_ENV.map((name) => env[name] ?? null));
  let client = detected.get(key);
  if (!client) detected.set(key, (client = detect(env)));
  return client;
}

async function detect(env: NodeJS.ProcessEnv): Promise<DockerClient> {
  const candidates = env['MZBUILD_DOCKER'] ? [env['MZBUILD_DOCKER']] : ['docker', '/usr/bin/docker'];
  let reachable: DockerClient | undefined;
  let problem = 'no docker client found: install Docker Engine (apt-get install docker.io)';
  for (const command of [...new Set(candidates)]) {
    let version: ExecResult;
    try {
      version = await exec(command, ['version', '--format', '{{.Client.Version}} {{.Server.Version}}'], env);
    } catch {
      continue;
    }
    if (version.code !== 0) {
      problem = `the Docker Engine${engineOf(env)} is not reachable through ${command} (${firstLine(version.stderr)}); start dockerd, or run tools/setup`;
      continue;
    }
    const clientVersion = version.stdout.trim().split(' ')[0] ?? '';
    if ((await exec(command, ['buildx', 'version'], env)).code === 0) return { command, builder: 'buildx', clientVersion };
    // Clients before 23 carry BuildKit themselves; later ones need the buildx plugin for it.
    const client: DockerClient = { command, builder: majorVersion(clientVersion) < 23 ? 'buildkit' : 'classic', clientVersion };
    if (client.builder === 'buildkit') return client;
    reachable ??= client;
  }
  if (reachable) return reachable;
  throw new UserError(problem);
}

/** Which engine a message is about, when the environment names one other than the default. */
export function engineOf(env: NodeJS.ProcessEnv): string {
  if (env['DOCKER_HOST']) return ` at DOCKER_HOST=${env['DOCKER_HOST']}`;
  if (env['DOCKER_CONTEXT']) return ` of DOCKER_CONTEXT=${env['DOCKER_CONTEXT']}`;
  return '';
}

function majorVersion(version: string): number {
  return Number(/^(\d+)/.exec(version)?.[1] ?? 0);
}


/** The references of every image the engine has, as `repository:tag`, in one call. */
export async function localImages(command: string, env: NodeJS.ProcessEnv = process.env): Promise<Set<string>> {
  let result: ExecResult;
  try {
    result = await exec(command, ['images', '--format', '{{.Repository}}:{{.Tag}}'], env);
  } catch {
    throw new UserError(`${command} not found: install Docker Engine (apt-get install docker.io), or run tools/setup`);
  }
  if (result.code !== 0) {
    throw new UserError(`the Docker Engine${engineOf(env)} is not reachable (${firstLine(result.stderr)}); start dockerd, or run tools/setup`);
  }
  return new Set(result.stdout.split('\n').filter((line) => line !== '' && !line.endsWith(':<none>')));
}

/** Pulls an image; a failure is a UserError with docker's own message. */
export async function pullImage(command: string, reference: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const result = await exec(command, ['pull', '--quiet', reference], env);
  if (result.code !== 0) throw new UserError(`docker pull ${reference} failed: ${firstLine(result.stderr)}`);
}

/** Gives a local image another reference (for a mirror registry). */
export async function tagImage(command: string, source: string, target: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const result = await exec(command, ['tag', source, target], env);
  if (result.code !== 0) throw new UserError(`docker tag ${source} ${target} failed: ${firstLine(result.stderr)}`);
}

/**
 * Pushes a local image. docker uploads every blob before it PUTs the manifest under the tag, so a
 * push that fails or is interrupted leaves no tag behind.
 */
export async function pushImage(command: string, reference: string, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const result = await exec(command, ['push', '--quiet', reference], env);
  if (result.code !== 0) throw new UserError(`docker push ${reference} failed: ${firstLine(result.stderr)}`);
}
