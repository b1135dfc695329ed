/** The two ways a CLI run fails before or around linting; both exit with status 2 and one line on stderr. */

/** A bad command line: the message is followed by a hint to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Bad input the command line pointed at: missing config file, too many files, unwritable output. */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** The errno code of a failed file system call, as a short human reason. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a folder';
    case 'ENOTDIR':
      return 'a parent is not a folder';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return e?.message ?? String(err);
  }
}
