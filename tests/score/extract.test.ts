// Extraction of the program from realistic model replies, through the real Python helper.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractProgram, filterByText, findFencedBlocks } from '../../src/score/extract.js';
import { MetricsClient } from '../../src/score/metrics-client.js';

const FENCE = '```';

interface Case {
  name: string;
  reply: string;
  program: string;
  method: 'markers' | 'fenced' | 'bare' | 'none';
  parsed: boolean;
}

const CASES: Case[] = [
  {
    name: 'prose around one python block',
    reply: `Here is a function that removes the first and last occurrence:\n\n${FENCE}python\ndef remove_Occ(s, ch):\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]\n${FENCE}\n\nThis works by reversing the string.`,
    program: "def remove_Occ(s, ch):\n    return s.replace(ch, '', 1)[::-1].replace(ch, '', 1)[::-1]",
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'block with example calls and prints',
    reply: `${FENCE}python\nimport math\n\ndef area(r):\n    return math.pi * r ** 2\n\nprint(area(2))\nresult = area(3)\nassert area(1) == math.pi\n${FENCE}`,
    program: 'import math\n\ndef area(r):\n    return math.pi * r ** 2',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'untagged block',
    reply: `${FENCE}\ndef square(x):\n    return x * x\n${FENCE}`,
    program: 'def square(x):\n    return x * x',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'function block then usage block',
    reply: `Solution:\n${FENCE}python\ndef add(a, b):\n    return a + b\n${FENCE}\nUsage:\n${FENCE}python\nprint(add(1, 2))  # 3\n${FENCE}\nOutput:\n${FENCE}\n3\n${FENCE}`,
    program: 'def add(a, b):\n    return a + b',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'two defining blocks joined',
    reply: `${FENCE}python\ndef helper(x):\n    return x + 1\n${FENCE}\nand the main function:\n${FENCE}py\ndef main(x):\n    return helper(x) * 2\n${FENCE}`,
    program: 'def helper(x):\n    return x + 1\n\ndef main(x):\n    return helper(x) * 2',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'shell block ignored',
    reply: `${FENCE}bash\npip install numpy\n${FENCE}\n${FENCE}python\nimport numpy as np\ndef total(a):\n    return int(np.sum(a))\n${FENCE}`,
    program: 'import numpy as np\ndef total(a):\n    return int(np.sum(a))',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'begin and done markers',
    reply: 'You are an expert.\n[BEGIN]\ndef is_even(n):\n    return n % 2 == 0\n[DONE]\nExtra text',
    program: 'def is_even(n):\n    return n % 2 == 0',
    method: 'markers',
    parsed: true,
  },
  {
    name: 'markers with quoted code',
    reply: "[BEGIN]\n'def is_odd(n):\n    return n % 2 == 1'\n[DONE]",
    program: 'def is_odd(n):\n    return n % 2 == 1',
    method: 'markers',
    parsed: true,
  },
  {
    name: 'bare code after prose',
    reply: 'Sure.\ndef cube(x):\n    return x ** 3\n\nprint(cube(3))\nThis prints 27.',
    program: 'def cube(x):\n    return x ** 3',
    method: 'bare',
    parsed: true,
  },
  {
    name: 'bare code starting with a constant',
    reply: 'NO_OF_CHARS = 256\ndef count(s):\n    return [0] * NO_OF_CHARS\nprint(count("a"))',
    program: 'NO_OF_CHARS = 256\ndef count(s):\n    return [0] * NO_OF_CHARS',
    method: 'bare',
    parsed: true,
  },
  {
    name: 'constant above code after prose',
    reply: 'Use a table size:\nSIZE = 8\ndef table():\n    return [0] * SIZE\nThat is all.',
    program: 'SIZE = 8\ndef table():\n    return [0] * SIZE',
    method: 'bare',
    parsed: true,
  },
  {
    name: 'constant needed by the function kept',
    reply: `${FENCE}python\nLIMIT = 10\nUNUSED = 5\nTABLE = [i * LIMIT for i in range(3)]\n\ndef lookup(i):\n    return TABLE[i]\n\nprint(lookup(1))\n${FENCE}`,
    program: 'LIMIT = 10\nTABLE = [i * LIMIT for i in range(3)]\n\ndef lookup(i):\n    return TABLE[i]',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'main guard dropped',
    reply: `${FENCE}python\ndef neg(x):\n    return -x\n\nif __name__ == "__main__":\n    print(neg(1))\n${FENCE}`,
    program: 'def neg(x):\n    return -x',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'decorated function and class',
    reply: `${FENCE}python\nfrom functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nclass Box:\n    pass\n${FENCE}`,
    program: 'from functools import lru_cache\n\n@lru_cache(maxsize=None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nclass Box:\n    pass',
    method: 'fenced',
    parsed: true,
  },
  {
    name: 'half-finished block',
    reply: `${FENCE}python\ndef longest(words):\n    best = ""\n    for w in words:\n        if len(w) >`,
    program: 'def longest(words):\n    best = ""\n    for w in words:\n        if len(w) >',
    method: 'fenced',
    parsed: false,
  },
  {
    name: 'unparsable code with prints',
    reply: `${FENCE}python\ndef f(x)\n    return x\nprint(f(2))\nf(3)\nassert f(1) == 1\n${FENCE}`,
    program: 'def f(x)\n    return x',
    method: 'fenced',
    parsed: false,
  },
  {
    name: 'prose only',
    reply: 'I am sorry, but I cannot help with that request.',
    program: '',
    method: 'none',
    parsed: false,
  },
  {
    name: 'block with only a print',
    reply: `${FENCE}python\nprint("hello")\n${FENCE}`,
    program: '',
    method: 'none',
    parsed: true,
  },
  {
    name: 'windows line ends',
    reply: `${FENCE}python\r\ndef one():\r\n    return 1\r\n${FENCE}\r\n`,
    program: 'def one():\n    return 1',
    method: 'fenced',
    parsed: true,
  },
];

let client: MetricsClient;
before(() => {
  client = new MetricsClient();
});
after(async () => {
  await client.close();
});

for (const item of CASES) {
  test(`extract: ${item.name}`, async () => {
    const extraction = await extractProgram(item.reply, client);
    assert.equal(extraction.program, item.program);
    assert.equal(extraction.method, item.method);
    assert.equal(extraction.parsed, item.parsed);
    assert.equal(extraction.found, item.program !== '');
  });
}

test('fenced blocks: unclosed last block', () => {
  const blocks = findFencedBlocks(`a\n${FENCE}python\nx = 1\n${FENCE}\n${FENCE}\ny = 2`);
  assert.equal(blocks.length, 2);
  assert.deepEqual(blocks[0], { tag: 'python', code: 'x = 1', closed: true });
  assert.deepEqual(blocks[1], { tag: '', code: 'y = 2', closed: false });
});

test('text filter drops main guard block', () => {
  const code = 'def f(x)\n    return x\nif __name__ == "__main__":\n    f(1)\ndef g():\n    pass';
  assert.equal(filterByText(code), 'def f(x)\n    return x\ndef g():\n    pass');
});
