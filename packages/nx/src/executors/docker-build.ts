import {
  acquireImages,
  findImages,
  formatSummary,
  isUserError,
  loadContext,
  type Outcome,
  type SharedOptions,
} from '@mzbuild/core';
import { logger, type ExecutorContext, type TaskGraph } from '@nx/devkit';

export interface DockerBuildOptions extends SharedOptions {
  image: string;
  /** Pull images that a registry has (default); false only checks that they exist. */
  pull?: boolean;
  /** In CI, build publishable images that the registry lacks instead of failing. */
  allowLocalBuild?: boolean;
  /** Docker builds at once. */
  parallel?: number;
}

type Result = { success: boolean; terminalOutput: string; status?: 'success' | 'failure' | 'skipped' };

/**
 * Makes the image and everything it builds on available to the local engine: reused when the
 * engine or the registry has it, built otherwise. Nx reports success only if every image is
 * there at the end.
 */
export default async function dockerBuildExecutor(options: DockerBuildOptions, context: ExecutorContext): Promise<{ success: boolean }> {
  const results = await buildImages({ [options.image]: options }, context);
  return { success: results.get(options.image)!.success };
}

/**
 * The batch form (`nx run-many -t docker-build --batch`, or `preferBatch`): every image of the
 * batch in one plan, one registry check and one cargo build.
 */
export async function batch(
  taskGraph: TaskGraph,
  inputs: Record<string, DockerBuildOptions>,
  _overrides: DockerBuildOptions,
  context: ExecutorContext,
): Promise<Record<string, Result>> {
  const byImage = Object.fromEntries(Object.values(inputs).map((options) => [options.image, options]));
  const results = await buildImages(byImage, context);
  return Object.fromEntries(Object.keys(taskGraph.tasks).map((task) => [task, results.get(inputs[task]!.image)!]));
}

async function buildImages(byImage: Record<string, DockerBuildOptions>, context: ExecutorContext): Promise<Map<string, Result>> {
  const names = Object.keys(byImage);
  const first = byImage[names[0]!]!;
  const { image: _image, pull, allowLocalBuild, parallel, ...flags } = first;
  const output = new Map<string, string[]>(names.map((name) => [name, []]));
  try {
    const mzbuild = await loadContext({ cwd: context.root, flags, persistentCache: true, hashingThread: names.length > 1 });
    const targets = findImages(mzbuild.repository, names);
    const width = Math.max(...mzbuild.repository.images.map((i) => i.name.length), 5);
    const { outcomes } = await acquireImages(mzbuild, targets, {
      warn: (message) => logger.warn(`mzbuild: ${message}`),
      pull: pull ?? true,
      ...(allowLocalBuild === undefined ? {} : { allowLocalBuild }),
      parallel: parallel ?? 2,
      onLine: (source, line) => {
        const text = `${source.padEnd(width)} | ${line}`;
        console.log(text);
        output.get(source)?.push(text);
      },
    });
    const summary = formatSummary(outcomes);
    console.log(summary);
    return new Map(names.map((name) => [name, resultOf(name, outcomes, output.get(name)!, summary)]));
  } catch (error) {
    if (!isUserError(error)) throw error;
    logger.error(`mzbuild: ${error.message}`);
    return new Map(names.map((name) => [name, { success: false, terminalOutput: error.message, status: 'failure' }]));
  }
}

/** A task succeeds when its image and every image it builds on is available. */
function resultOf(name: string, outcomes: Outcome[], lines: string[], summary: string): Result {
  const own = outcomes.find((o) => o.name === name)!;
  const success = own.result !== 'failed' && own.result !== 'skipped';
  return {
    success,
    terminalOutput: `${lines.join('\n')}\n${summary}`,
    status: success ? 'success' : own.result === 'skipped' ? 'skipped' : 'failure',
  };
}
