import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lock, lockFileOf, tryLock, type HeldLock, type LockHolder } from '../../packages/core/src/lock-file';

/**
 * The lock between processes, with real processes: holders that let go, that are killed with
 * SIGKILL (and reaped or left as zombies), pids reused, and waiters racing for a dead holder's lock.
 */
const BUILT = join(__dirname, '../../packages/core/dist/lock-file.js');
let dir: string;

beforeAll(() => {
  if (!existsSync(BUILT)) throw new Error('packages/core is not built: run `npm run build`');
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mzbuild-locks-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A node process that takes the lock (waiting), says `held`, and keeps it until killed or `hold` ms pass. */
function holder(file: string, hold = 60_000, log?: string, shell = false): ChildProcess {
  const script =
    `const { lock } = require(${JSON.stringify(BUILT)});` +
    `lock(${JSON.stringify(file)}, 'test').then((held) => {` +
    (log ? `require('fs').appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');` : '') +
    `console.log('held'); setTimeout(() => {` +
    (log ? `require('fs').appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');` : '') +
    `held.release(); }, ${hold}); });`;
  // Through a shell that execs into sleep: the holder's parent never reaps it, so once killed it stays a zombie.
  return shell
    ? spawn('sh', ['-c', `node -e "$0" & echo $! ; exec sleep 30`, script], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
}

function lineFrom(child: ChildProcess, matching: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const line = text.split('\n').find((l) => matching.test(l));
      if (line !== undefined) resolve(line);
    });
    child.on('exit', () => reject(new Error(`exited before printing ${matching}: ${text}`)));
  });
}

const exited = (child: ChildProcess) => new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(null) : child.on('exit', resolve)));

it('is held by one process at a time, and names its holder to the others', async () => {
  const file = lockFileOf(dir, 'build mzbuild/app:mzbuild-abc');
  expect(file).toMatch(/build_mzbuild_app_mzbuild-abc-[0-9a-f]{12}\.lock$/);
  const child = holder(file);
  await lineFrom(child, /^held$/);
  const taken = tryLock(file, 'test') as LockHolder;
  expect(taken).toMatchObject({ pid: child.pid, about: 'test' });
  child.kill('SIGTERM');
  await exited(child);
  const held = tryLock(file, 'mine') as HeldLock;
  expect(held.release).toBeDefined();
  held.release();
  held.release(); // again is nothing
  expect(readdirSync(dir)).toEqual([]);
});

it('passes from a holder that lets go to a waiter, which heard of the holder once', async () => {
  const file = lockFileOf(dir, 'x');
  const child = holder(file, 300);
  await lineFrom(child, /^held$/);
  const heard: number[] = [];
  const held = await lock(file, 'waiter', (h) => heard.push(h.pid));
  expect(heard).toEqual([child.pid]);
  held.release();
  await exited(child);
});

it('is taken at once from a holder killed with SIGKILL', async () => {
  const file = lockFileOf(dir, 'x');
  const child = holder(file);
  await lineFrom(child, /^held$/);
  const waiting = lock(file, 'waiter');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const killedAt = Date.now();
  child.kill('SIGKILL');
  const held = await waiting;
  expect(Date.now() - killedAt).toBeLessThan(2000);
  held.release();
});

it('is taken from a killed holder that is still a zombie (its parent has not reaped it)', async () => {
  const file = lockFileOf(dir, 'x');
  const shell = holder(file, 60_000, undefined, true);
  const pid = Number(await lineFrom(shell, /^\d+$/));
  await lineFrom(shell, /^held$/);
  expect((tryLock(file, 'early') as LockHolder).pid).toBe(pid);
  process.kill(pid, 'SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /); // a zombie: kill(pid, 0) still succeeds
  const held = tryLock(file, 'after') as HeldLock;
  expect(held.release).toBeDefined();
  held.release();
  shell.kill('SIGKILL');
});

it('is taken from a holder whose pid now belongs to another process (a different start time)', () => {
  const file = lockFileOf(dir, 'x');
  // This very process has the pid, but did not take the lock: it started at another time.
  writeFileSync(file, JSON.stringify({ pid: process.pid, start: '1', nonce: 'old', about: 'reused' }));
  const held = tryLock(file, 'new') as HeldLock;
  expect(held.release).toBeDefined();
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, about: 'new' });
  // With the start time that is this process's, the same record is a live holder.
  const mine = JSON.parse(readFileSync(file, 'utf8'));
  held.release();
  writeFileSync(file, JSON.stringify({ ...mine, nonce: 'other' }));
  expect(tryLock(file, 'third')).toMatchObject({ nonce: 'other' });
});

it('is taken from a file that is not a lock record', () => {
  const file = lockFileOf(dir, 'x');
  writeFileSync(file, 'garbage');
  const held = tryLock(file, 'new') as HeldLock;
  expect(held.release).toBeDefined();
  held.release();
});

it('lets waiters racing for a dead holder’s lock in one at a time', async () => {
  const file = lockFileOf(dir, 'x');
  const log = join(dir, 'log');
  // A dead holder: a pid no process has (the kernel's pid_max is below this).
  writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 17, nonce: 'dead', about: 'killed' }));
  const children = Array.from({ length: 5 }, () => holder(file, 150, log));
  await Promise.all(children.map(exited));
  const events = readFileSync(log, 'utf8').trim().split('\n');
  expect(events).toHaveLength(10);
  for (let i = 0; i < events.length; i += 2) {
    const [what, pid] = events[i]!.split(' ');
    expect([what, events[i + 1]]).toEqual(['in', `out ${pid}`]); // nobody entered while another was in
  }
  expect(readdirSync(dir).sort()).toEqual(['log']); // no marker, temporary file or lock left
}, 30_000);
