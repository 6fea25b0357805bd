/** A lock per name between the processes of one machine: a file naming its holder (pid, start time), taken over at once when that holder is gone. */
import { createHash, randomBytes } from 'node:crypto';
import { linkSync, lstatSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/*
 * Why this and not an OS lock or proper-lockfile. Node has no flock or fcntl: an OS lock would
 * need a native addon or a helper program (util-linux's flock, absent on macOS) on every machine.
 * proper-lockfile judges a holder by the age of an mtime that the holder keeps touching: a killed
 * holder blocks every waiter for its whole stale period, and a holder whose event loop is busy
 * longer than that loses its lock while it still builds. Here the file names its holder by pid
 * and start time: a holder is gone when no process has its pid, or the process that has it now is
 * a zombie or started at another time (the pid was reused), which a waiter can tell at once.
 *
 * Locks are per machine (the directory holds the host name): a cache directory shared between
 * machines (an NFS home) keeps each machine's locks apart, as each machine builds into its own
 * engine and cannot see whether another machine's pid is alive.
 */

/** Who holds a lock. */
export interface LockHolder {
  pid: number;
  /** The process's start time as the kernel counts it (Linux); undefined where it cannot be read. */
  start?: string;
  /** Unique to one taking of the lock: what a release or a takeover compares. */
  nonce: string;
  /** What the lock is for, for people reading the file and for messages. */
  about: string;
}

export interface HeldLock {
  file: string;
  /** Lets the lock go; again is nothing. A lock someone took over (only from a dead holder) is left alone. */
  release(): void;
}

/** A breaker that died between its two steps leaves its marker; after this long it is abandoned. */
const ABANDONED_MARKER_MS = 10_000;

/** The directory of this machine's locks under `cacheDir`. */
export function lockDirectory(cacheDir: string): string {
  return join(cacheDir, 'locks', hostname());
}

/** The file of the lock `key` in `dir`: readable, and unique however the key is spelled. */
export function lockFileOf(dir: string, key: string): string {
  const readable = key.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 120);
  return join(dir, `${readable}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}.lock`);
}

/** Takes the lock now, or says who holds it. */
export function tryLock(file: string, about: string): HeldLock | LockHolder {
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true });
  const me: LockHolder = { pid: process.pid, ...startOf(process.pid), nonce: randomBytes(8).toString('hex'), about };
  // Written whole beside the lock, then linked to its name: a lock file is never seen half written,
  // and link, unlike rename, fails when the name is taken.
  const temporary = `${file}.${me.nonce}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(temporary, file);
        return { file, release: () => release(file, me.nonce) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(file);
      if (holder === 'gone') continue; // released meanwhile: try again at once
      if (holder !== 'unreadable' && isAlive(holder)) return holder;
      breakLock(file, holder);
    }
    // Taken over and again by others between our tries: report the one there now as the holder.
    const holder = readHolder(file);
    return typeof holder === 'object' ? holder : { pid: 0, nonce: '', about };
  } finally {
    unlinkSync(temporary);
  }
}

/** Takes the lock, waiting while a live process holds it; `onWait` hears of the holder once. */
export async function lock(file: string, about: string, onWait?: (holder: LockHolder) => void): Promise<HeldLock> {
  let delay = 25;
  let told = false;
  for (;;) {
    const result = tryLock(file, about);
    if ('release' in result) return result;
    if (!told) onWait?.(result);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 500);
  }
}

function release(file: string, nonce: string): void {
  const holder = readHolder(file);
  if (typeof holder === 'object' && holder.nonce === nonce) unlinkSync(file);
}

function readHolder(file: string): LockHolder | 'gone' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder.pid === 'number' && typeof holder.nonce === 'string' ? holder : 'unreadable';
  } catch {
    return 'unreadable'; // not written by this code (content is complete before the link): nobody's
  }
}

/**
 * Removes the lock file of a dead holder, and only that one: two waiters may judge the same holder
 * dead, and the second must not remove the lock the first has taken since. So a breaker first
 * links the lock to a marker name, which only one can do; the marker names the inode it linked, so
 * the breaker removes the lock only if that inode is still the dead holder's. Nobody else removes
 * a lock whose holder is dead, so it cannot have changed in between. (A breaker killed between its
 * two steps leaves the marker, which is given up after ABANDONED_MARKER_MS.)
 */
function breakLock(file: string, dead: LockHolder | 'unreadable'): void {
  const marker = `${file}.break`;
  try {
    linkSync(file, marker);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // released or broken meanwhile
    if (code !== 'EEXIST') throw error;
    const since = lstatSync(marker, { throwIfNoEntry: false });
    if (since && Date.now() - since.ctimeMs > ABANDONED_MARKER_MS) unlinkSync(marker);
    return;
  }
  try {
    const linked = readHolder(marker);
    const same = dead === 'unreadable' ? linked === 'unreadable' : typeof linked === 'object' && linked.nonce === dead.nonce;
    if (same) unlinkSync(file);
  } finally {
    unlinkSync(marker);
  }
}

/** Whether the holder's process is still the one that took the lock. */
export function isAlive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: a process of another user has the pid; it is alive.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const now = startOf(holder.pid);
  if (now.zombie) return false; // killed, not yet reaped by its parent
  return holder.start === undefined || now.start === undefined || now.start === holder.start;
}

/** A process's start time in clock ticks since boot and whether it is a zombie, from /proc (Linux); nothing elsewhere. */
function startOf(pid: number): { start?: string; zombie?: boolean } {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return {};
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so fields count from the last `)`.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { start: fields[19], ...(fields[0] === 'Z' ? { zombie: true } : {}) };
}
