import { readFileSync, unlinkSync } from 'node:fs';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/** A lock not refreshed for this long belongs to a process that is gone (killed, its machine lost). */
const STALE_MS = 30_000;
/** How often the holder refreshes the lock's time. */
const HEARTBEAT_MS = 5_000;

/** Another process holds the journal: a second run must not interleave its records with the first's. */
export class JournalBusyError extends OperationsError {
  constructor(message: string) {
    super(Code.ABORTED, message);
  }
}

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/**
 * Journals this process holds. The lock file cannot tell a second batch of this process from a restarted container
 * whose process got the same pid (both look like "this pid"), so batches of one process (cancelMany in a service)
 * are kept apart here.
 */
const heldHere = new Set<string>();

export interface JournalLock {
  /** Removes the lock file. Safe to call twice. */
  release(): Promise<void>;
}

/**
 * One process at a time per journal: `JOURNAL.lock`, created exclusively, names the holder (pid, host, start) and
 * is touched every 5 s. A lock is stale, and taken over, when its holder is on this host and no longer runs (a
 * `kill -9`, a restarted container whose new process may even have the same pid), or when it has not been touched
 * for 30 s (a holder on another machine sharing the volume, gone). So a crash never leaves a journal locked for
 * more than 30 s, and on the same host not at all; a live holder makes the second run refuse at once.
 */
export async function lockJournal(journalPath: string): Promise<JournalLock> {
  const lockPath = `${journalPath}.lock`;
  const key = resolve(lockPath);
  if (heldHere.has(key)) {
    throw new JournalBusyError(`--journal ${JSON.stringify(journalPath)} is in use by another batch of this process (lock file ${lockPath}); wait for it to end`);
  }
  heldHere.add(key);
  try {
    return await takeLock(journalPath, lockPath, () => heldHere.delete(key));
  } catch (error) {
    heldHere.delete(key);
    throw error;
  }
}

async function takeLock(journalPath: string, lockPath: string, forget: () => void): Promise<JournalLock> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let tries = 0; ; tries += 1) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 2) throw error;
      const held = await holder(lockPath);
      if (held.stale) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      throw new JournalBusyError(`--journal ${JSON.stringify(journalPath)} is in use by ${held.description} (lock file ${lockPath}); `
        + 'wait for that run to end, or remove the lock file if it is gone');
    }
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const removeOnExit = (): void => {
    try {
      if (ownsLock(lockPath, owner)) unlinkSync(lockPath);
    } catch {
      // exiting
    }
  };
  process.on('exit', removeOnExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      forget();
      clearInterval(heartbeat);
      process.off('exit', removeOnExit);
      if (ownsLock(lockPath, owner)) await unlink(lockPath).catch(() => undefined);
    },
  };
}

function ownsLock(lockPath: string, owner: LockOwner): boolean {
  try {
    const held = JSON.parse(readFileSync(lockPath, 'utf8')) as Partial<LockOwner>;
    return held.pid === owner.pid && held.host === owner.host && held.startedAt === owner.startedAt;
  } catch {
    return false;
  }
}

async function holder(lockPath: string): Promise<{ readonly stale: boolean; readonly description: string }> {
  let ageMs: number;
  try {
    ageMs = Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    return { stale: true, description: 'nobody' }; // removed meanwhile
  }
  let held: Partial<LockOwner> | undefined;
  try {
    held = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockOwner>;
  } catch {
    held = undefined; // being written, or cut off by a crash
  }
  if (ageMs > STALE_MS) return { stale: true, description: 'a run that stopped refreshing its lock' };
  if (held === undefined || typeof held.pid !== 'number') return { stale: ageMs > 2000, description: 'another run starting' };
  if (held.host === hostname() && (held.pid === process.pid || !isRunning(held.pid))) return { stale: true, description: 'a run that is gone' };
  return { stale: false, description: `pid ${held.pid} on ${held.host ?? 'another host'} since ${held.startedAt ?? 'an unknown time'}` };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
