/** The one way core starts a process: arguments never through a shell, output line by line, a missing program named with what to install. */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { UserError } from '../errors';

export type OutputStream = 'stdout' | 'stderr';

export interface SpawnOptions {
  cwd?: string;
  /** The child's whole environment (default `process.env`); `PATH` in it is where the command is looked up. */
  env?: NodeJS.ProcessEnv;
  /**
   * Every line of stdout and stderr, without its line ending (`\n` or `\r\n`), as it comes; a last
   * line without a newline comes when the stream ends. Lines of one stream keep their order; the
   * two streams interleave as the child writes them. If it throws, the child is killed and the
   * promise rejects with what it threw.
   */
  onLine?: (line: string, stream: OutputStream) => void;
  /** Keep the whole of stdout in the result (its lines still go to `onLine`). */
  captureStdout?: boolean;
  /** Written to the child's stdin, which is then closed. Without it, stdin is /dev/null. */
  input?: string | Buffer;
  /** Added to the error when the command is not found, e.g. `install binutils (apt-get install binutils)`. */
  notFoundHint?: string;
  /** Kills the child (SIGTERM) when aborted; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
}

export interface SpawnResult {
  /** The exit code; 128 + the signal number if a signal ended the child, as shells report it. */
  code: number;
  /** The signal that ended the child, if one did. */
  signal: NodeJS.Signals | null;
  /** All of stdout, with `captureStdout`. */
  stdout?: string;
}

/** Children still running, so that a command that must stop at once can stop them too. */
const running = new Set<import('node:child_process').ChildProcess>();

/** Ends every child still running (docker, cargo, binutils): for a command that stops at once. */
export function stopChildren(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of running) child.kill(signal);
}

/**
 * Runs a command without a shell, streaming its output line by line, and resolves when it has
 * exited and its output is consumed, whatever the exit code: the caller decides what a failure
 * is. Rejects only when the command cannot run (a UserError naming it) or `onLine` throws.
 */
export function spawnLines(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let callbackError: unknown;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      signal: options.signal,
    });
    running.add(child);

    const stdoutChunks: string[] = [];
    const deliver = (line: string, stream: OutputStream) => {
      if (callbackError !== undefined || !options.onLine) return;
      try {
        options.onLine(line.endsWith('\r') ? line.slice(0, -1) : line, stream);
      } catch (error) {
        callbackError = error;
        child.kill('SIGTERM');
      }
    };
    const follow = (readable: NodeJS.ReadableStream, stream: OutputStream) => {
      let pending = '';
      readable.setEncoding('utf8');
      readable.on('data', (chunk: string) => {
        if (stream === 'stdout' && options.captureStdout) stdoutChunks.push(chunk);
        const lines = (pending + chunk).split('\n');
        pending = lines.pop()!;
        for (const line of lines) deliver(line, stream);
      });
      readable.on('end', () => {
        if (pending !== '') deliver(pending, stream);
        pending = '';
      });
    };
    follow(child.stdout!, 'stdout');
    follow(child.stderr!, 'stderr');

    if (options.input !== undefined) {
      // A child that exits without reading all its input must not crash us with EPIPE.
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(options.input);
    }

    child.on('error', (error: NodeJS.ErrnoException) => {
      running.delete(child);
      if (settled) return;
      settled = true;
      reject(spawnError(command, error, options));
    });
    child.on('close', (code, signal) => {
      running.delete(child);
      if (settled) return;
      settled = true;
      if (callbackError !== undefined) return reject(callbackError);
      resolve({
        code: code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1),
        signal,
        ...(options.captureStdout ? { stdout: stdoutChunks.join('') } : {}),
      });
    });
  });
}

function spawnError(command: string, error: NodeJS.ErrnoException, options: SpawnOptions): Error {
  if (error.code === 'ENOENT') {
    // Node reports a missing working directory as a missing command.
    if (options.cwd !== undefined && !existsSync(options.cwd)) {
      return new UserError(`cannot run ${command}: the directory ${options.cwd} does not exist`);
    }
    const hint = options.notFoundHint ? `; ${options.notFoundHint}` : '';
    return new UserError(`${command} is not installed or not on PATH${hint}`);
  }
  if (error.code === 'EACCES') return new UserError(`cannot run ${command}: permission denied (is it executable?)`);
  return error;
}

/** A command line as a POSIX shell would take it back, for showing the commands that run. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Whether `name` is an executable file in one of the directories of `PATH`. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['PATH'] ?? '').split(':').some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(`${dir}/${name}`, fsConstants.X_OK);
      return statSync(`${dir}/${name}`).isFile();
    } catch {
      return false;
    }
  });
}
