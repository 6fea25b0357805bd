import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/**
 * The `nx` commands of the GitHub Actions workflow that the README shows (docs/ci), job by job, as
 * argument lists, so that the adopter test runs the workflow's own commands; and the
 * architectures of its matrix.
 */
export interface WorkflowCommands {
  publish: string[][];
  multiarch: string[][];
  arches: string[];
}

export function workflowCommands(): WorkflowCommands {
  const workflow = parse(readFileSync(join(__dirname, '../../docs/ci/github-actions.yml'), 'utf8'));
  const nxCommands = (job: { steps: { run?: string }[] }) =>
    job.steps
      .map((step) => step.run?.trim())
      .filter((run): run is string => run !== undefined && run.startsWith('npx nx '))
      .map((run) => run.slice('npx nx '.length).split(/\s+/));
  return {
    publish: nxCommands(workflow.jobs.publish),
    multiarch: nxCommands(workflow.jobs.multiarch),
    arches: workflow.jobs.publish.strategy.matrix.include.map((entry: { arch: string }) => entry.arch),
  };
}
