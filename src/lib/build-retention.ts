/**
 * Which builds lose their output when only `retention` are kept (Dokku counts records, not age):
 * the newest `retention` finished builds stay, and a build still running is never pruned.
 */
export function buildsBeyondRetention(builds: ReadonlyArray<{ number: number; status: string }>, retention: number): number[] {
  const finished = builds.filter((b) => b.status !== 'running').sort((a, b) => b.number - a.number);
  return finished.slice(Math.max(0, retention)).map((b) => b.number).sort((a, b) => a - b);
}
