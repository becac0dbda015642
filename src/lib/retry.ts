/**
 * Runs an operation again when it fails in a way that another try can fix (a concurrent writer got
 * there first, a port was taken in between), up to a number of attempts. Anything else, or the
 * last attempt's failure, goes to the caller unchanged.
 */

/** `fn` is called with the attempt number, from 1. */
export function retryOn<T>(isRetryable: (err: unknown) => boolean, attempts: number, fn: (attempt: number) => T): T {
  for (let attempt = 1; ; attempt++) {
    try {
      return fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
    }
  }
}

/** The same for an operation that awaits: a rejection is judged as a throw is. */
export async function retryOnAsync<T>(isRetryable: (err: unknown) => boolean, attempts: number, fn: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
    }
  }
}
