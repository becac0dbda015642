import { describe, expect, it } from 'vitest';
import { shownNginxOutput } from '../../../src/proxy/nginx.ts';

describe('nginx -t output shown to the user', () => {
  const dirs = ['/home/dokku', '/etc/nginx/conf.d'];

  it('keeps lines about dokku\'s own files', () => {
    const out = 'nginx: [emerg] unknown directive "foo" in /home/dokku/web/nginx.conf:12\nnginx: configuration file /etc/nginx/nginx.conf test failed';
    expect(shownNginxOutput(out, dirs)).toBe(out);
  });

  it.each([
    ['/etc/shadow', 'nginx: [emerg] unknown directive "root:$6$secret:19000:0:99999:7:::" in /etc/shadow:1'],
    ['a file beside the root', 'nginx: [emerg] unexpected "}" in /home/dokku-other/secret.conf:3'],
    ['a traversal out of the root', 'nginx: [warn] invalid value "hunter2" in /home/dokku/../../root/.env:2'],
    ['the conf dir\'s parent', 'nginx: [emerg] "x" directive is not allowed here in /etc/nginx/secret:9'],
  ])('shows only the location of a line in %s', (_name, line) => {
    const shown = shownNginxOutput(line, dirs);
    expect(shown).toMatch(/^nginx: \[(emerg|warn)\] an error in \/.+:\d+ \(not shown: outside dokku's configuration\)$/);
    expect(shown).not.toMatch(/secret:19000|hunter2|unexpected|directive/);
  });
});
