/**
 * execa, loaded on first use. The git and SSH modules are reached from every command's start-up,
 * and few commands run a program: loading execa eagerly would cost each of them its start time.
 */
export async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await import('execa')).execa;
}
