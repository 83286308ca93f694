// The helper's syntax verdict equals CPython's compile(), run in a separate python3 process per snippet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { MetricsClient } from '../../src/score/metrics-client.js';

const SNIPPETS: { name: string; code: string }[] = [
  { name: 'simple function', code: 'def f(x):\n    return x + 1\n' },
  { name: 'missing colon', code: 'def f(x)\n    return x\n' },
  { name: 'bad indentation', code: 'def f(x):\nreturn x\n' },
  { name: 'unexpected indent', code: 'x = 1\n    y = 2\n' },
  { name: 'unclosed paren', code: 'print((1, 2)\n' },
  { name: 'unterminated string', code: 's = "abc\n' },
  { name: 'unterminated triple quote', code: 's = """abc\n' },
  { name: 'python 2 print', code: 'print "hello"\n' },
  { name: 'walrus', code: 'if (n := 10) > 5:\n    pass\n' },
  { name: 'match statement', code: 'match x:\n    case [a, *rest]:\n        pass\n    case _:\n        pass\n' },
  { name: 'f-string nesting', code: 'x = f"{1 + 2:>{3}}"\n' },
  { name: 'return outside function', code: 'return 1\n' },
  { name: 'break outside loop', code: 'break\n' },
  { name: 'duplicate argument', code: 'def f(a, a):\n    pass\n' },
  { name: 'nonlocal at module', code: 'nonlocal x\n' },
  { name: 'half-finished block', code: 'def f(x):\n    if x > 1:\n        return [i for i in\n' },
  { name: 'markdown fence left in', code: '```python\ndef f():\n    pass\n```\n' },
  { name: 'tabs and spaces mixed', code: 'def f():\n\tif 1:\n        return 1\n' },
  { name: 'empty program', code: '' },
  { name: 'only a comment', code: '# nothing here\n' },
  { name: 'async comprehension outside async', code: 'def f():\n    return [x async for x in y]\n' },
  { name: 'star expression alone', code: '*a\n' },
  { name: 'crlf line ends', code: 'def f():\r\n    return 1\r\n' },
  { name: 'null byte', code: 'x = 1\u0000\n' },
];

/** The interpreter behind `python3`, resolved once because a version-manager shim costs a shell per start. */
const PYTHON = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || 'python3';

/** Verdict of compile() in a fresh interpreter: true when it compiles. */
function cpythonCompiles(code: string): boolean {
  const script = 'import sys\ntry:\n    compile(sys.stdin.buffer.read().decode("utf-8"), "<snippet>", "exec")\nexcept (SyntaxError, ValueError):\n    sys.exit(3)\n';
  const result = spawnSync(PYTHON, ['-c', script], { input: code });
  assert.ok(result.status === 0 || result.status === 3, `python3 failed: ${result.stderr}`);
  return result.status === 0;
}

test('syntax verdict equals CPython compile', async () => {
  const client = new MetricsClient();
  try {
    for (const snippet of SNIPPETS) {
      const metrics = await client.analyze(snippet.code);
      assert.equal(metrics.syntax.valid, cpythonCompiles(snippet.code), `${snippet.name}: ${JSON.stringify(snippet.code)}`);
    }
  } finally {
    await client.close();
  }
});

test('syntax error reports message and line', async () => {
  const client = new MetricsClient();
  try {
    const metrics = await client.analyze('x = 1\ndef f(x)\n    return x\n');
    assert.equal(metrics.syntax.valid, false);
    assert.equal(metrics.syntax.line, 2);
    assert.match(metrics.syntax.message ?? '', /expected ':'/);
    assert.equal(metrics.complexity, null);
    assert.equal(metrics.mi, null);
  } finally {
    await client.close();
  }
});
