/** What an executor can learn about the rest of its Nx run from the task graph it is handed. */
import type { ExecutorContext } from '@nx/devkit';
import { PLUGIN_NAME } from '../constants';

/**
 * Whether the run publishes images: some task of it runs this plugin's publish executor. Nx hands
 * executors, batch executors too, the task graph of the whole run.
 */
export function runPublishes(context: ExecutorContext): boolean {
  const projects = context.projectsConfigurations?.projects ?? {};
  return Object.values(context.taskGraph?.tasks ?? {}).some(
    (task) => projects[task.target.project]?.targets?.[task.target.target]?.executor === `${PLUGIN_NAME}:publish`,
  );
}
