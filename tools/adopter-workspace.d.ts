// Types of tools/adopter-workspace.js, for the tests that use it.

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeout?: number;
  /** Throw when the command fails (default true). */
  check?: boolean;
}

export interface Tarballs {
  dir: string;
  core: string;
  nx: string;
}

export declare const REPO_ROOT: string;

export declare function run(command: string, args: string[], options?: RunOptions): RunResult;
export declare function cleanEnv(env?: Record<string, string | undefined>, node?: string): NodeJS.ProcessEnv;
export declare function nodeBinDir(node: string): string;
export declare function packPackages(destination?: string): Tarballs;
export declare function compareVersions(a: string, b: string): number;
export declare function latestOfMajor(major: number | string, pkg?: string): string;

export declare class AdopterWorkspace {
  constructor(root: string, options?: { node?: string; env?: Record<string, string | undefined> });
  readonly root: string;
  readonly node: string;
  env: Record<string, string | undefined>;
  path(file: string): string;
  commandEnv(env?: Record<string, string | undefined>): NodeJS.ProcessEnv;
  nxBin(): string;
  nx(args: string[], env?: Record<string, string | undefined>, timeout?: number): RunResult;
  nxOk(args: string[], env?: Record<string, string | undefined>, timeout?: number): string;
  exec(command: string, args: string[], options?: Omit<RunOptions, 'env'> & { env?: Record<string, string | undefined> }): RunResult;
  git(...args: string[]): string;
  write(files: Record<string, string>): this;
  read(file: string): string;
  commit(message?: string): this;
  addPlugin(tarball: string): string;
  dispose(): void;
}

export declare function createAdopterWorkspace(
  dir: string,
  options?: { nx?: string; tarballs?: Tarballs; node?: string; env?: Record<string, string | undefined>; add?: boolean },
): AdopterWorkspace;
