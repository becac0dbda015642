import { printable } from './validate.ts';

/**
 * What a process type may be, for the Procfile that defines it and the `ps:scale` word that names
 * it: it becomes part of a container name (`<app>.<type>.<n>`) and of a DYNO value. Case is kept,
 * so `Worker` and `worker` are two types, as in the Procfile.
 */
const PROCESS_TYPE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export const PROCESS_TYPE_RULE = "letters, digits, '-' and '_', starting with a letter or digit, at most 63 characters";

/** Why `name` is no process type, or undefined if it is one. */
export function processTypeProblem(name: string): string | undefined {
  return PROCESS_TYPE.test(name) ? undefined : `invalid process type '${printable(name)}' (${PROCESS_TYPE_RULE})`;
}
