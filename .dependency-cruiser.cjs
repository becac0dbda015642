/**
 * The floors of src/, top to bottom. A module may import from its own floor or any floor below it,
 * never from one above. Adapters sit side by side on one floor and do not import each other: what
 * two of them share belongs on the ground floor, and what combines them is a use case in app/.
 * This list is the layering rule; docs/architecture.md draws it.
 */
const floors = [
  { name: 'entry', path: '^src/(main\\.ts$|entry/)' },
  { name: 'cli', path: '^src/cli/' },
  { name: 'app', path: '^src/app/' },
  { name: 'adapters', path: '^src/(builder|runtime|proxy|git|ssh|plugins)/', sideways: false },
  { name: 'state', path: '^src/state/' },
  { name: 'lib', path: '^src/lib/' },
];

const above = (i) => floors.slice(0, i).map((f) => `(${f.path})`).join('|');

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'An import cycle makes two modules one; break it by moving what both need a floor down.',
    from: { path: '^src/' },
    to: { circular: true },
  },
  {
    name: 'on-a-floor',
    severity: 'error',
    comment: 'Every module of src/ lives on one of the floors named in .dependency-cruiser.cjs.',
    from: { path: '^src/', pathNot: floors.map((f) => `(${f.path})`).join('|') },
    to: {},
  },
  ...floors.slice(1).map((floor, i) => ({
    name: `${floor.name}-points-down`,
    severity: 'error',
    comment: `${floor.name} may not import from a floor above it (${floors.slice(0, i + 1).map((f) => f.name).join(', ')}).`,
    from: { path: floor.path },
    to: { path: above(i + 1) },
  })),
  {
    name: 'appends-in-use-cases',
    severity: 'error',
    comment: 'A command records events only through a use case in app/: execute() is not for cli/ or entry/.',
    from: { path: '^src/(main\\.ts$|entry/|cli/)' },
    to: { path: '^src/state/execute\\.ts$' },
  },
  {
    name: 'adapters-not-sideways',
    severity: 'error',
    comment: 'An adapter does not import another adapter: share through lib/, combine in app/.',
    from: { path: '^src/(builder|runtime|proxy|git|ssh|plugins)/' },
    to: { path: '^src/(builder|runtime|proxy|git|ssh|plugins)/', pathNot: '^src/$1/' },
  },
];

module.exports = {
  forbidden,
  options: {
    // TypeScript 7 has no JavaScript API for dependency-cruiser to parse with; swc reads the sources.
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
