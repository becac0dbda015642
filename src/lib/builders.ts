import { printable } from './validate.ts';

/** The builders there are: what `builder:set <app> selected` takes and what a build may be told to use. */
export const BUILDERS = ['herokuish', 'dockerfile', 'null'] as const;
export type BuilderName = (typeof BUILDERS)[number];

export function isBuilderName(name: string): name is BuilderName {
  return (BUILDERS as readonly string[]).includes(name);
}

/** Why `name` is no builder, or undefined if it is one. */
export function builderProblem(name: string): string | undefined {
  return isBuilderName(name) ? undefined : `Unknown builder '${printable(name)}': use one of ${BUILDERS.join(', ')}`;
}
