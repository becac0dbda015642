/**
 * Errors a user can cause. Anything else thrown is a bug and is allowed to crash loudly.
 * The CLI prints a UserError as one line in Dokku's style (` !     message`) and exits with `exitCode`.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** Bad command-line shape: printed with the command's usage line, exit 2. */
export class UsageError extends UserError {
  readonly usage: string | undefined;
  constructor(message: string, usage?: string) {
    super(message, 2);
    this.name = 'UsageError';
    this.usage = usage;
  }
}

/** Another writer appended to the stream between our read and our append. */
export class ConcurrencyError extends UserError {
  readonly stream: string;
  readonly expected: number;
  readonly actual: number;
  constructor(stream: string, expected: number, actual: number) {
    super(`Concurrent change to ${stream}: expected version ${expected}, found ${actual}; try again`);
    this.name = 'ConcurrencyError';
    this.stream = stream;
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * The database file cannot be read as dokku's: garbage, truncated, a directory, emptied, or its
 * tables or rows are not what dokku wrote. One line naming the file; nothing is written to it.
 */
export class NotADokkuDatabase extends UserError {
  readonly path: string;
  constructor(path: string, reason: string) {
    super(`${path} is not a dokku database: ${reason}`);
    this.name = 'NotADokkuDatabase';
    this.path = path;
  }
}
