import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Files this project writes (a batch's journal and output, the emulator's state) hold operation names and results
 * that are the user's business, and they are often given in shared places such as /tmp. So they are created readable
 * by their owner only (0600), and a path whose last component is a symbolic link is refused rather than followed: a
 * link planted at a predictable path would otherwise make a run truncate or append to whatever file it points at.
 * An existing regular file keeps its own mode (it is the user's).
 */

/** Not on Windows, where links need privileges to create; 0 there adds nothing to the flags. */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const PRIVATE_MODE = 0o600;

export type PrivateOpenMode =
  /** Read and append, created if missing (a journal that a rerun resumes). */
  | 'append'
  /** Write from empty, created if missing (an output file of a fresh run). */
  | 'truncate';

const FLAGS: Readonly<Record<PrivateOpenMode, number>> = {
  append: constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | NO_FOLLOW,
  truncate: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NO_FOLLOW,
};

/** The error for a path that is a symbolic link, naming it and what to do; other errors pass through. */
function refusedLink(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  // O_NOFOLLOW on a final symlink fails with ELOOP (Linux, macOS) or EMLINK (FreeBSD).
  if (code !== 'ELOOP' && code !== 'EMLINK') return error;
  return Object.assign(new Error(`${path} is a symbolic link; refusing to write through it (give the path of the file itself)`), { code });
}

/** Opens `path` for writing as described above; rejects with a clear error when it is a symbolic link. */
export async function openPrivate(path: string, mode: PrivateOpenMode): Promise<FileHandle> {
  try {
    return await open(path, FLAGS[mode], PRIVATE_MODE);
  } catch (error) {
    throw refusedLink(path, error);
  }
}

/**
 * Writes `bytes` to `path` atomically: to a new file beside it with an unpredictable name (created exclusively, 0600,
 * so nothing planted in advance can be written through), then renamed over `path`, which replaces a link at `path`
 * itself rather than the file it points at. A reader sees the old contents or the new, never a mix.
 */
export async function writePrivateAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, PRIVATE_MODE);
  try {
    try {
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

/**
 * `writePrivateAtomically` for a process that is exiting (an `exit` hook cannot wait for a promise): the same steps,
 * synchronously.
 */
export function writePrivateAtomicallySync(path: string, bytes: Uint8Array): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(8).toString('hex')}.tmp`);
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, PRIVATE_MODE);
  try {
    try {
      writeSync(fd, bytes);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // already gone
    }
    throw error;
  }
}
