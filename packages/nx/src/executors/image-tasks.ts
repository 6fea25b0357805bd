import { findImages, isUserError, loadContext, type Image, type MzbuildContext, type SharedOptions } from '@mzbuild/core';
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
}

/** Runs `work` once for all the images of a task (or a batch of tasks), and gives each image its result. */
export type ImageWork<T extends ImageTaskOptions> = (
  mzbuild: MzbuildContext,
  targets: Image[],
  options: T,
  onLine: (source: string, line: string) => void,
) => Promise<{ results: ImageResult[]; summary: string }>;

/** The single-task form of an executor. */
export async function runImageTask<T extends ImageTaskOptions>(work: ImageWork<T>, options: T, context: ExecutorContext): Promise<{ success: boolean }> {
  const results = await runImages(work, { [options.image]: options }, context);
  return { success: results.get(options.image)!.success };
}

/** The batch form: every image of the batch in one run (one plan, one registry check, one cargo build). */
export async function runImageBatch<T extends ImageTaskOptions>(
  work: ImageWork<T>,
  taskGraph: TaskGraph,
  inputs: Record<string, T>,
  context: ExecutorContext,
): Promise<Record<string, TaskResult>> {
  const byImage = Object.fromEntries(Object.values(inputs).map((options) => [options.image, options]));
  const results = await runImages(work, byImage, context);
  return Object.fromEntries(Object.keys(taskGraph.tasks).map((task) => [task, results.get(inputs[task]!.image)!]));
}

async function runImages<T extends ImageTaskOptions>(work: ImageWork<T>, byImage: Record<string, T>, context: ExecutorContext): Promise<Map<string, TaskResult>> {
  const names = Object.keys(byImage);
  const options = byImage[names[0]!]!;
  const flags: SharedOptions = pickShared(options);
  const lines = new Map<string, string[]>(names.map((name) => [name, []]));
  try {
    const mzbuild = await loadContext({ cwd: context.root, flags, persistentCache: true, hashingThread: names.length > 1 });
    const width = Math.max(...mzbuild.repository.images.map((i) => i.name.length), 5);
    const { results, summary } = await work(mzbuild, findImages(mzbuild.repository, names), options, (source, line) => {
      const text = `${source.padEnd(width)} | ${line}`;
      console.log(text);
      lines.get(source)?.push(text);
    });
    console.log(summary);
    return new Map(
      names.map((name) => {
        const own = results.find((r) => r.name === name)!;
        const success = own.result !== 'failed' && own.result !== 'skipped';
        const status = success ? 'success' : own.result === 'skipped' ? 'skipped' : 'failure';
        return [name, { success, status, terminalOutput: `${lines.get(name)!.join('\n')}\n${summary}` }];
      }),
    );
  } catch (error) {
    if (!isUserError(error)) throw error;
    logger.error(`mzbuild: ${error.message}`);
    return new Map(names.map((name) => [name, { success: false, terminalOutput: error.message, status: 'failure' }]));
  }
}

/** The image configuration among an executor's options (the rest are the executor's own). */
function pickShared(options: SharedOptions): SharedOptions {
  const keys = ['registry', 'mirrors', 'imagePrefix', 'profile', 'arch', 'coverage', 'sanitizer'] as const;
  return Object.fromEntries(keys.filter((key) => options[key] !== undefined).map((key) => [key, options[key]]));
}

export function warnOnce(message: string): void {
  logger.warn(`mzbuild: ${message}`);
}
