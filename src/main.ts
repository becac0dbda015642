import { createContext } from './app/context.ts';
import { errorLine } from './lib/output.ts';
import { UserError } from './lib/errors.ts';
import { loadSettings } from './lib/settings.ts';
import { splitCommandWords } from './lib/words.ts';
import { runSession } from './entry/session.ts';
import { becomeRootOwner } from './entry/run-as-owner.ts';

/**
 * Entry point. Called with arguments, they are the command. Called with none under an SSH forced
 * command, SSH_ORIGINAL_COMMAND is split into words by a tokenizer (never by a shell) and runs
 * exactly as the same words would from argv.
 */
async function main(): Promise<number> {
  const out = quietWhenClosed(process.stdout);
  const err = quietWhenClosed(process.stderr);
  const io = {
    out: (line: string) => out(`${line}\n`),
    err: (line: string) => err(`${line}\n`),
    bytes: (data: Uint8Array) => out(data),
    stdin: process.stdin,
    stdinIsTTY: Boolean(process.stdin.isTTY),
    // As Dokku: titles are for a person at a terminal; over SSH (no pty) or in a pipe, rows only.
    quiet: !process.stdout.isTTY || Boolean(process.env.DOKKU_QUIET_OUTPUT),
  };
  let words = process.argv.slice(2);
  const sshCommand = process.env.SSH_ORIGINAL_COMMAND;
  const viaSsh = words.length === 0 && sshCommand !== undefined;
  if (viaSsh) {
    try {
      words = splitCommandWords(sshCommand);
    } catch (err) {
      if (err instanceof UserError) {
        io.err(errorLine(err.message));
        return err.exitCode;
      }
      throw err;
    }
  }
  const settings = loadSettings();
  // The actor is who typed the command (root, say), resolved before dokku becomes the root's owner.
  const ctx = createContext(settings, process.env, io);
  try {
    becomeRootOwner(settings.root);
  } catch (err) {
    if (err instanceof UserError) {
      io.err(errorLine(err.message));
      return err.exitCode;
    }
    throw err;
  }
  // The caller's SSH key (if any) is checked against the command before it runs; git push/fetch too.
  return runSession(words, ctx, process.env, viaSsh);
}

/**
 * A writer that stops quietly once the reader has gone (`dokku events | head -1`): the command
 * still finishes what it was doing, it just has no one left to tell. Other write errors crash.
 */
function quietWhenClosed(stream: NodeJS.WriteStream): (text: string | Uint8Array) => void {
  let closed = false;
  const gone = (e: unknown): boolean => {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
  };
  stream.on('error', (e) => {
    if (!gone(e)) throw e;
    closed = true;
  });
  return (text) => {
    if (closed) return;
    try {
      stream.write(text);
    } catch (e) {
      if (!gone(e)) throw e;
      closed = true;
    }
  };
}

let settled = false;
main().then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (err: unknown) => {
    settled = true;
    process.stderr.write(`${err instanceof Error && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);

// A command whose work stalled on something that can never happen (a stream that lost its end)
// would otherwise exit 0 having done nothing: say so, and fail.
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  process.stderr.write(' !     Internal error: the command stopped before it finished (nothing was left to wait for)\n');
  process.exitCode = 70;
});
