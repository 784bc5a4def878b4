/**
 * The workspace YAML toolkit every file kind shares: positions, the alias guard, `${ENV}`
 * references and zod issues, all as one Issue shape.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { redact } from '../../../src/util/redact.js';
import { formatIssue, type YamlPath } from '../../../src/workspace/issue.js';
import { resolveEnv, secretPaths } from '../../../src/workspace/secrets.js';
import { YamlFile } from '../../../src/workspace/yaml-file.js';
import { addZodIssues } from '../../../src/workspace/zod-issues.js';

const BOMB = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]', ''].join('\n');

describe('YamlFile', () => {
  it('locates values, keys and the nearest existing parent, offset by the first line', () => {
    const f = new YamlFile('t.md', 'subject: hi\nlist:\n  - { a: 1 }\n  - b\n', { firstLine: 2 });
    expect(f.readable).toBe(true);
    expect(f.pos(['subject'])).toEqual({ file: 't.md', line: 2, col: 10 });
    expect(f.pos(['subject'], true)).toEqual({ file: 't.md', line: 2, col: 1 });
    expect(f.pos(['list', 0, 'a'])).toEqual({ file: 't.md', line: 4, col: 10 });
    expect(f.pos(['list', 1])).toEqual({ file: 't.md', line: 5, col: 5 });
    expect(f.pos(['list', 7, 'x'])).toEqual({ file: 't.md', line: 4, col: 3 });
    f.add(['list', 0, 'a'], 'bad');
    expect(f.issues.map(formatIssue)).toEqual(['t.md:4:10: list[0].a: bad']);
  });

  it('a syntax error is an Issue at its line:col and the file is not readable', () => {
    const f = new YamlFile('x.yaml', 'a: 1\na: 2\n');
    expect(f.readable).toBe(false);
    expect(f.issues.map(formatIssue)).toEqual(['x.yaml:2:1: YAML: Map keys must be unique']);
  });

  it('an alias bomb is refused at the first alias, without expanding it', () => {
    const f = new YamlFile('bomb.yaml', BOMB);
    expect(f.readable).toBe(false);
    expect(f.issues).toEqual([{ file: 'bomb.yaml', line: 2, col: 8, message: expect.stringMatching(/^YAML: .*\(too many alias expansions\)$/) }]);
  });

  it('big integers keep every digit when asked', () => {
    expect(new YamlFile('p.yaml', 'id: 123456789012345678901234\nn: 5\n', { bigInts: true }).data()).toEqual({ id: '123456789012345678901234', n: 5 });
  });

  it('every scalar of any document is found where it is written', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
    const leaf = fc.oneof(fc.integer({ min: 0, max: 1e6 }), fc.stringMatching(/^[a-z][a-z ]{0,10}[a-z]$/));
    const tree = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('node'), { minLength: 1, maxLength: 3 }), fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4 }), (doc) => {
        const text = stringify(doc);
        const f = new YamlFile('t.yaml', text);
        const lines = text.split('\n');
        const walk = (v: unknown, p: YamlPath): void => {
          if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
          else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => walk(x, [...p, k]));
          else {
            const { line, col } = f.pos(p);
            expect(lines[line - 1]!.slice(col - 1).startsWith(String(v)), `${JSON.stringify(p)} in\n${text}`).toBe(true);
          }
        };
        walk(doc, []);
      }),
      { numRuns: 200 },
    );
  });
});

describe('${ENV} references', () => {
  const text = 'token: ${TOKEN}\nplain: hunter2hunter2\nurl: "http://${HOST}/x"\n';
  const secrets = secretPaths([['token'], ['plain']]);

  it('resolves references, refuses literal secrets without echoing them, names missing variables', () => {
    const f = new YamlFile('c.yaml', text);
    const out = resolveEnv(f, [], f.data(), [], secrets, { TOKEN: 'tok-1234567890' });
    expect(out).toEqual({ token: 'tok-1234567890', plain: undefined, url: 'http:///x' });
    expect(f.issues.map((i) => [formatIssue(i), i.code])).toEqual([
      ['c.yaml:2:8: plain: a secret must be an ${ENV_VAR} reference, not a literal value', 'literal_secret'],
      ['c.yaml:3:6: url: environment variable HOST is not set', 'env_missing'],
    ]);
    expect(JSON.stringify(f.issues)).not.toContain('hunter2');
    expect(redact('x tok-1234567890 y')).toBe('x *** y');
  });

  it('without an environment references are checked, not resolved', () => {
    const f = new YamlFile('c.yaml', text);
    expect(resolveEnv(f, [], f.data(), [], secretPaths([['token']]), undefined)).toEqual({ token: '${TOKEN}', plain: 'hunter2hunter2', url: 'http://${HOST}/x' });
    expect(f.issues).toEqual([]);
  });
});

describe('zod issues', () => {
  it('each issue at its value, an unknown key at the key, zod preamble dropped', () => {
    const f = new YamlFile('s.yaml', 'outer:\n  n: x\n  typo: 1\n');
    const r = z.strictObject({ outer: z.strictObject({ n: z.number() }) }).safeParse(f.data());
    addZodIssues(f, [], r.error!);
    expect(f.issues.map(formatIssue)).toEqual(['s.yaml:2:6: outer.n: expected number, received string', 's.yaml:3:3: outer.typo: unknown key "typo"']);
  });
});
