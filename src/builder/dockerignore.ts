/**
 * `.dockerignore`, as the docker CLI applies it before sending a build context: one pattern per
 * line (`#` comments), `*` and `?` within a path segment, `**` across segments, `!` to take a
 * path back, the last matching line wins, and a matching directory takes everything under it.
 * The Dockerfile and .dockerignore themselves are always sent.
 */
export function dockerignoreFilter(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const pattern = cleanPattern(exclude ? line : line.slice(1).trim());
      return { exclude, re: patternRegex(pattern) };
    })
    .filter((r) => r.re !== undefined) as Array<{ exclude: boolean; re: RegExp }>;
  return (path: string) => {
    if (path === '' || path === 'Dockerfile' || path === '.dockerignore') return true;
    const parents = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (parents.some((p) => rule.re.test(p))) excluded = rule.exclude;
    }
    return !excluded;
  };
}

function cleanPattern(pattern: string): string {
  const parts: string[] = [];
  for (const part of pattern.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}

function patternRegex(pattern: string): RegExp | undefined {
  if (pattern === '') return undefined;
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?'; // `**/` : any number of directories, none included
      } else {
        re += '.*';
      }
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += escape(ch);
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return undefined;
  }
}

function escape(ch: string): string {
  return /[.+^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}
