import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectSource, splitSections } from '../../src/eval/sections.js';

const REASONING = [
  'Let me think.',
  '**Problem:** find the largest of three numbers.',
  '## Edge cases',
  '- equal numbers',
  '- negative numbers',
  'Plan:',
  '1. compare a and b',
  '2. compare with c',
  'Draft:',
  '```python',
  'def largest(a, b, c):',
  '    return max(a, b, c)',
  '```',
].join('\n');

test('splitSections finds the four sections', () => {
  const sections = splitSections(REASONING);
  assert.deepEqual([...sections.keys()], ['problem', 'edge cases', 'plan', 'draft']);
  assert.equal(sections.get('problem'), 'find the largest of three numbers.');
  assert.equal(sections.get('edge cases'), '- equal numbers\n- negative numbers');
  assert.match(sections.get('draft') ?? '', /def largest/);
});

test('selectSource joins named sections in order', () => {
  assert.equal(selectSource(REASONING, ['plan', 'problem']), '1. compare a and b\n2. compare with c\n\nfind the largest of three numbers.');
  assert.equal(selectSource(REASONING, 'all'), REASONING);
  assert.equal(selectSource('no headings here', ['plan']), '');
});
