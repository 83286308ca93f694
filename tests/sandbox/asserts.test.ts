// The trusted assert evaluator must judge honest programs exactly as plain CPython does.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import type { Sandbox } from '../../src/sandbox/index.js';
import { bubblewrapAvailable, createSandbox, job, pythonFor } from './helpers.js';

const mode = bubblewrapAvailable ? 'bubblewrap' : 'limits-only';

/** Honest programs and asserts whose verdict CPython decides; the sandbox must agree on each assert. */
const CASES: Array<{ name: string; program: string; tests: string[] }> = [
  {
    name: 'numbers mix int, float and bool',
    program: 'def half(x):\n    return x / 2\ndef count(x):\n    return len(x)',
    tests: ['assert half(4) == 2', 'assert half(3) == 1', 'assert count([1]) == True', 'assert half(1) < 1', 'assert half(2) != 1'],
  },
  {
    name: 'sequences keep their types',
    program: 'def pair():\n    return (1, 2)\ndef items():\n    return [1, 2]',
    tests: ['assert pair() == (1, 2)', 'assert pair() == [1, 2]', 'assert items() == [1, 2]', 'assert items() == (1, 2)', 'assert 2 in items()'],
  },
  {
    name: 'library containers compare like builtins',
    program: [
      'from collections import Counter, OrderedDict, defaultdict, namedtuple',
      "Point = namedtuple('Point', 'x y')",
      'def counts(s):\n    return Counter(s)',
      'def point():\n    return Point(1, 2)',
      'def ordered():\n    return OrderedDict([(1, 2)])',
      'def grouped():\n    d = defaultdict(list)\n    d[1].append(2)\n    return d',
    ].join('\n'),
    tests: [
      "assert counts('aab') == {'a': 2, 'b': 1}",
      "assert counts('ab') == {'a': 2}",
      'assert point() == (1, 2)',
      'assert ordered() == {1: 2}',
      'assert grouped() == {1: [2]}',
    ],
  },
  {
    name: 'sets, strings and floats',
    program: "import math\ndef uniq(x):\n    return set(x)\ndef word():\n    return 'abc'\ndef nan():\n    return float('nan')",
    tests: [
      'assert uniq([1, 1, 2]) == {1, 2}',
      'assert uniq([1]) == frozenset([1])',
      "assert word().upper() == 'ABC'",
      "assert word()[::-1] == 'cba'",
      'assert nan() == nan()',
      'assert math.isclose(0.1 + 0.2, 0.3)',
    ],
  },
  {
    name: 'truth tests and generators',
    program: 'def evens(n):\n    return (i for i in range(n) if i % 2 == 0)\ndef empty():\n    return []',
    tests: ['assert list(evens(5)) == [0, 2, 4]', 'assert evens(3)', 'assert not empty()', 'assert empty()', 'assert empty() is not None'],
  },
  {
    name: 'program objects reach program functions',
    program: [
      'class Node:',
      '    def __init__(self, value, left=None):',
      '        self.value = value',
      '        self.left = left',
      'def depth(node):',
      '    return 0 if node is None else 1 + depth(node.left)',
    ].join('\n'),
    tests: ['assert depth(Node(1, Node(2))) == 2', 'assert depth(Node(1)) == 2', 'assert Node(5).value == 5'],
  },
];

/** Run each assert alone after the program in plain CPython; true where it passes. */
function plainVerdicts(python: string, program: string, tests: string[]): boolean[] {
  const script = [
    'import sys',
    `exec(compile(${JSON.stringify(program)}, '<program>', 'exec'))`,
    `for source in ${JSON.stringify(tests)}:`,
    '    try:',
    '        exec(source)',
    "        print('passed')",
    '    except AssertionError:',
    "        print('failed')",
  ].join('\n');
  const output = spawnSync(python, ['-c', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(output.status, 0, output.stderr);
  return output.stdout.trim().split('\n').map((line) => line === 'passed');
}

describe(`sandbox assert evaluation (${mode})`, () => {
  let sandbox: Sandbox;
  const python = pythonFor(mode) ?? 'python3';

  before(async () => {
    sandbox = await createSandbox(mode);
  });

  after(async () => {
    await sandbox?.close();
  });

  for (const testCase of CASES) {
    it(`agrees with CPython: ${testCase.name}`, async () => {
      const expected = plainVerdicts(python, testCase.program, testCase.tests);
      assert.ok(expected.includes(true), 'the case has no passing assert');
      const result = await sandbox.run(job(testCase.program, testCase.tests));
      const actual = result.asserts.map((item) => item.status === 'passed');
      assert.deepEqual(actual, expected, JSON.stringify(result.asserts));
    });
  }

  it('challenge asserts do not decide the outcome', async () => {
    const result = await sandbox.run(job('def one():\n    return 1', ['assert one() == 1'], { challengeTests: ['assert one() == 2'] }));
    assert.equal(result.outcome, 'passed');
    assert.equal(result.challengeAsserts[0].status, 'failed');
  });

  it('failed assert index is reported', async () => {
    const result = await sandbox.run(job('def one():\n    return 1', ['assert one() == 1', 'assert one() == 2', 'assert one() == 3']));
    assert.equal(result.outcome, 'failed');
    assert.equal(result.failedAssert, 1);
    assert.deepEqual(
      result.asserts.map((item) => item.status),
      ['passed', 'failed', 'failed'],
    );
  });

  it('exception in assert is error', async () => {
    const result = await sandbox.run(job('def one():\n    return 1 / 0', ['assert one() == 1']));
    assert.equal(result.outcome, 'error');
    assert.equal(result.error?.type, 'ZeroDivisionError');
    assert.equal(result.failedAssert, 0);
  });

  it('syntax error in program is error', async () => {
    const result = await sandbox.run(job('def one(:\n    return 1', ['assert one() == 1']));
    assert.equal(result.outcome, 'error');
    assert.equal(result.error?.type, 'SyntaxError');
    assert.equal(result.asserts[0].status, 'not_run');
  });

  it('output is kept', async () => {
    const result = await sandbox.run(job("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)", ['assert True']));
    assert.equal(result.stdout, 'to stdout\n');
    assert.equal(result.stderr, 'to stderr\n');
  });
});
