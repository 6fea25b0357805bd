import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../../packages/core/src/errors';
import { onPath, shellQuote, spawnLines, stopChildren, type OutputStream } from '../../packages/core/src/process/spawn';

const node = process.execPath;

/** Runs a Node.js script as the child, collecting the lines it streams. */
async function run(script: string, options: Parameters<typeof spawnLines>[2] = {}) {
  const lines: [OutputStream, string][] = [];
  const result = await spawnLines(node, ['-e', script], { onLine: (line, stream) => lines.push([stream, line]), ...options });
  return { result, lines };
}

describe('spawnLines', () => {
  it('streams the lines of stdout and stderr, without line endings, and resolves with the exit code', async () => {
    const { result, lines } = await run(
      `process.stdout.write('one\\r\\ntwo\\n'); process.stderr.write('err\\n'); process.stdout.write('last without newline'); process.exitCode = 3;`,
    );
    expect(result).toEqual({ code: 3, signal: null });
    expect(lines.filter(([s]) => s === 'stdout').map(([, l]) => l)).toEqual(['one', 'two', 'last without newline']);
    expect(lines.filter(([s]) => s === 'stderr').map(([, l]) => l)).toEqual(['err']);
  });

  it('delivers lines as they come, not at exit', async () => {
    const seen: number[] = [];
    const start = Date.now();
    await spawnLines(node, ['-e', `console.log('early'); setTimeout(() => console.log('late'), 700);`], {
      onLine: () => seen.push(Date.now() - start),
    });
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(500);
  });

  it('joins lines split across chunks, multi-byte characters included', async () => {
    // "é" is two bytes in UTF-8: write them in separate chunks, with a pause between.
    const { lines } = await run(
      `process.stdout.write(Buffer.from([0x61, 0xc3])); setTimeout(() => process.stdout.write(Buffer.from([0xa9, 0x62, 0x0a, 0x63])), 100);`,
    );
    expect(lines).toEqual([
      ['stdout', 'aéb'],
      ['stdout', 'c'],
    ]);
  });

  it('captures the whole of stdout on request, while still streaming it', async () => {
    const { result, lines } = await run(`console.log('a'); console.log('b');`, { captureStdout: true });
    expect(result.stdout).toBe('a\nb\n');
    expect(lines).toEqual([
      ['stdout', 'a'],
      ['stdout', 'b'],
    ]);
  });

  it('writes input to stdin, and closes it', async () => {
    const { result } = await run(`let s = ''; process.stdin.on('data', (d) => (s += d)).on('end', () => process.stdout.write(s.toUpperCase()));`, {
      input: 'hello\0world',
      captureStdout: true,
    });
    expect(result.stdout).toBe('HELLO\0WORLD');
  });

  it('survives a child that exits without reading its input', async () => {
    const { result } = await run(`process.exit(0)`, { input: 'x'.repeat(1 << 20) });
    expect(result.code).toBe(0);
  });

  it('gives stdin /dev/null without input', async () => {
    const { result } = await run(`let n = 0; process.stdin.on('data', (d) => (n += d.length)).on('end', () => console.log(n));`, {
      captureStdout: true,
    });
    expect(result.stdout).toBe('0\n');
  });

  it('reports a signal as 128 + its number', async () => {
    const { result } = await run(`process.kill(process.pid, 'SIGKILL')`);
    expect(result).toEqual({ code: 137, signal: 'SIGKILL' });
  });

  it('runs in cwd with the given environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-'));
    try {
      const { result } = await run(`console.log(process.cwd() + ' ' + process.env.ONLY)`, { cwd: dir, env: { ONLY: 'this' }, captureStdout: true });
      expect(result.stdout).toBe(`${dir} this\n`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('rejects with a UserError naming a command that is not installed, with the hint', async () => {
    const error = await spawnLines('no-such-command-mzbuild', [], { notFoundHint: 'install it' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('no-such-command-mzbuild is not installed or not on PATH; install it');
  });

  it('says so when the working directory is missing', async () => {
    const error = await spawnLines(node, ['-e', ''], { cwd: '/no/such/dir' }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(`cannot run ${node}: the directory /no/such/dir does not exist`);
  });

  it('rejects with a UserError for a file that is not executable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-'));
    try {
      writeFileSync(join(dir, 'script'), '#!/bin/sh\n');
      const error = await spawnLines(join(dir, 'script'), []).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(/permission denied/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('kills the child and rejects with the error when the line callback throws', async () => {
    const start = Date.now();
    const error = await spawnLines(node, ['-e', `console.log('boom'); setTimeout(() => {}, 20000);`], {
      onLine: () => {
        throw new Error('callback failed');
      },
    }).catch((e: unknown) => e);
    expect((error as Error).message).toBe('callback failed');
    expect(Date.now() - start).toBeLessThan(10000);
  });

  it('kills the child when aborted', async () => {
    const controller = new AbortController();
    const promise = spawnLines(node, ['-e', `console.log('started'); setTimeout(() => {}, 20000);`], {
      signal: controller.signal,
      onLine: () => controller.abort(),
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('shellQuote', () => {
  it('quotes only what a shell would split or expand', () => {
    expect(shellQuote(['cargo', 'build', '--features=a,b', 'path/to:x@1'])).toBe('cargo build --features=a,b path/to:x@1');
    expect(shellQuote(['echo', 'two words', "it's", '$HOME', ''])).toBe(`echo 'two words' 'it'\\''s' '$HOME' ''`);
  });
});

describe('onPath', () => {
  it('finds executable files in PATH, not directories or plain files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-'));
    try {
      writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
      chmodSync(join(dir, 'tool'), 0o755);
      writeFileSync(join(dir, 'plain'), '');
      mkdirSync(join(dir, 'dir'));
      const env = { PATH: `/nonexistent::${dir}` };
      expect(onPath('tool', env)).toBe(true);
      expect(onPath('plain', env)).toBe(false);
      expect(onPath('dir', env)).toBe(false);
      expect(onPath('tool', {})).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

it('stops every child still running when told to, as a command that must stop at once does', async () => {
  const sleeping = spawnLines('sleep', ['30']);
  const other = spawnLines('sleep', ['30']);
  stopChildren();
  expect((await sleeping).signal).toBe('SIGTERM');
  expect((await other).code).toBe(143);
});
