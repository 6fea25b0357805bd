/**
 * The plumbing the image executors share: one run of core's work for all the images of a task or
 * of a batch of tasks, each task's own options kept, and each image's result given to its task.
 */
import { findImages, isUserError, loadContext, resolveSharding, sharedOptionsSchema, UserError, type Image, type MzbuildContext, type SharedOptions, type Sharding } from '@mzbuild/core';
import { logger, type ExecutorContext, type TaskGraph } from '@nx/devkit';

export type TaskResult = { success: boolean; terminalOutput: string; status?: 'success' | 'failure' | 'skipped' };

/** What a run did to one image: a result that fails the image's task is `failed` or `skipped`. */
export interface ImageResult {
  name: string;
  result: string;
  error?: string;
}

export interface ImageTaskOptions extends SharedOptions {
  image: string;
  /** A CI shard, `I/N` (else MZBUILD_SHARD), and how long to wait for another shard's image. */
  shard?: string;
  shardWait?: string;
}

/**
 * The run's sharding: the tasks' `shard` and `shardWait` (which all tasks of a batch must agree
 * on: one run has one share), else MZBUILD_SHARD and MZBUILD_SHARD_WAIT.
 */
export function shardingOf(tasks: ImageTaskOptions[], env: NodeJS.ProcessEnv): { sharding?: Sharding } {
  const [first] = tasks;
  const differing = tasks.find((task) => task.shard !== first?.shard || task.shardWait !== first?.shardWait);
  if (differing) {
    throw new UserError(`tasks of images ${first!.image} and ${differing.image} run together but ask for different shards; give them the same shard and shardWait options`);
  }
  const sharding = resolveSharding({ shard: first?.shard, shardWait: first?.shardWait }, env, { shard: 'option shard', shardWait: 'option shardWait' });
  return sharding ? { sharding } : {};
}

/** One run over the images of a batch (or of a single task). */
export interface ImageRun<T extends ImageTaskOptions> {
  mzbuild: MzbuildContext;
  targets: Image[];
  /** The options of the task of the image, or undefined for an image that has no task here (a dependency). */
  optionsOf(name: string): T | undefined;
  /** The options of every task. */
  tasks: T[];
  context: ExecutorContext;
  onLine(source: string, line: string): void;
}

/** Runs the work once for all the images of a task or batch, and gives each image its result. */
export type ImageWork<T extends ImageTaskOptions> = (run: ImageRun<T>) => Promise<{ results: ImageResult[]; summary: string }>;

/** The single-task form of an executor. */
export async function runImageTask<T extends ImageTaskOptions>(work: ImageWork<T>, options: T, context: ExecutorContext): Promise<{ success: boolean }> {
  const task = `${context.projectName}:${context.targetName}`;
  const results = await runImages(work, new Map([[task, options]]), context);
  return { success: results.get(task)!.success };
}

/**
 * The batch form: every image of the batch in one run (one plan, one registry check, one cargo
 * build). Each task keeps its own options (Nx hands the batch the options of every task, and
 * `nx run app:publish --tag=latest` sets them for app's task alone), so none is dropped.
 */
export async function runImageBatch<T extends ImageTaskOptions>(
  work: ImageWork<T>,
  taskGraph: TaskGraph,
  inputs: Record<string, T>,
  context: ExecutorContext,
): Promise<Record<string, TaskResult>> {
  const tasks = new Map(Object.keys(taskGraph.tasks).map((task) => [task, inputs[task]!]));
  return Object.fromEntries(await runImages(work, tasks, context));
}

async function runImages<T extends ImageTaskOptions>(work: ImageWork<T>, tasks: Map<string, T>, context: ExecutorContext): Promise<Map<string, TaskResult>> {
  const byImage = new Map([...tasks.values()].map((options) => [options.image, options]));
  const names = [...byImage.keys()];
  const lines = new Map<string, string[]>(names.map((name) => [name, []]));
  try {
    const mzbuild = await loadContext({ cwd: context.root, flags: sharedOptions(tasks), warn: warnOnce, persistentCache: true, hashingThread: names.length > 1 });
    const width = Math.max(...mzbuild.repository.images.map((i) => i.name.length), 5);
    const { results, summary } = await work({
      mzbuild,
      targets: findImages(mzbuild.repository, names),
      optionsOf: (name) => byImage.get(name),
      tasks: [...tasks.values()],
      context,
      onLine: (source, line) => {
        const text = `${source.padEnd(width)} | ${line}`;
        console.log(text);
        lines.get(source)?.push(text);
      },
    });
    console.log(summary);
    await mzbuild.close();
    return new Map(
      [...tasks].map(([task, options]) => {
        const own = results.find((r) => r.name === options.image)!;
        const success = own.result !== 'failed' && own.result !== 'skipped';
        const status = success ? 'success' : own.result === 'skipped' ? 'skipped' : 'failure';
        return [task, { success, status, terminalOutput: `${lines.get(options.image)!.join('\n')}\n${summary}` }];
      }),
    );
  } catch (error) {
    if (!isUserError(error)) throw error;
    logger.error(`mzbuild: ${error.message}`);
    return new Map([...tasks.keys()].map((task) => [task, { success: false, terminalOutput: error.message, status: 'failure' }]));
  }
}

/**
 * The image configuration, which all tasks of a run must agree on: a task that differs fails the
 * run, naming both tasks, rather than being built with another task's configuration.
 */
function sharedOptions(tasks: Map<string, SharedOptions>): SharedOptions {
  const [[firstTask, first], ...rest] = [...tasks];
  for (const [task, options] of rest) {
    for (const key of SHARED_KEYS) {
      if (JSON.stringify(options[key]) === JSON.stringify(first![key])) continue;
      const shown = (value: unknown) => (value === undefined ? 'nothing' : JSON.stringify(value));
      throw new UserError(
        `tasks ${firstTask} and ${task} run together but ask for different ${key} (${shown(first![key])} and ${shown(options[key])}); ` +
          'one run builds with one configuration: run them in separate nx commands, or give them the same options',
      );
    }
  }
  return Object.fromEntries(SHARED_KEYS.filter((key) => first![key] !== undefined).map((key) => [key, first![key]]));
}

/** The image configuration's option keys, as core's schema has them. */
const SHARED_KEYS = Object.keys(sharedOptionsSchema.shape) as (keyof SharedOptions)[];

export function warnOnce(message: string): void {
  logger.warn(`mzbuild: ${message}`);
}
