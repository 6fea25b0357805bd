import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitRepo } from './git-repo';

const REPO_ROOT = join(__dirname, '../..');
const NX_BIN = join(REPO_ROOT, 'node_modules/nx/dist/bin/nx.js');

/** Nx's output without its colours (Nx colours it in CI even when it is not a terminal). */
export const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

export interface NxRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A real Nx workspace in a temporary git repository, with this repository's node_modules linked
 * in (so `@mzbuild/nx` resolves to the built plugin) and the plugin registered in nx.json.
 */
export class NxWorkspace extends GitRepo {
  constructor(pluginOptions: Record<string, unknown> = {}) {
    super('mzbuild-nx-e2e-');
    if (!existsSync(join(REPO_ROOT, 'packages/nx/dist/index.js'))) {
      throw new Error('packages/nx is not built: run `npm run build` (npm test does it first)');
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), this.path('node_modules'), 'dir');
    this.write({
      '.gitignore': 'node_modules\n.nx\ntarget\n',
      'package.json': JSON.stringify({ name: 'e2e-workspace', private: true }, null, 2),
    });
    this.setPluginOptions(pluginOptions);
  }

  private pluginOptions: Record<string, unknown> = {};
  /** How nx.json names the plugin: its package name, or a path into the package. */
  pluginSpec = '@mzbuild/nx';

  setPluginOptions(options: Record<string, unknown>): void {
    this.pluginOptions = options;
    this.setNxJson({});
  }

  /** nx.json with the plugin registered with its options, and these other keys (`release`, say). */
  setNxJson(rest: Record<string, unknown>): void {
    writeFileSync(this.path('nx.json'), JSON.stringify({ ...rest, plugins: [{ plugin: this.pluginSpec, options: this.pluginOptions }] }, null, 2));
  }

  /** Runs the real `nx` command, without daemon or cloud, on the Node that runs the tests. */
  nx(args: string[], env: NodeJS.ProcessEnv = {}): NxRun {
    const result = spawnSync(process.execPath, [NX_BIN, ...args], {
      cwd: this.root,
      encoding: 'utf8',
      env: { ...process.env, MZBUILD_CACHE_DIR: this.path('.nx/mzbuild-cache'), NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_SKIP_NX_CACHE: 'true', CI: 'true', ...env },
      timeout: 120_000,
    });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Like nx(), but fails the test with Nx's output when the command fails. */
  nxOk(args: string[], env: NodeJS.ProcessEnv = {}): string {
    const result = this.nx(args, env);
    if (result.status !== 0) throw new Error(`nx ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  }

  /** The projects whose `target` task `nx affected` selects for a change to `file` (task-level, from --explain). */
  affected(target: string, file: string): string[] {
    const explained = JSON.parse(this.nxOk(['affected', '-t', target, `--files=${file}`, '--explain=stdout']));
    return Object.keys(explained.affected ?? {})
      .map((task) => task.slice(0, task.lastIndexOf(`:${target}`)))
      .sort();
  }
}
