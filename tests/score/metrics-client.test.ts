// Metrics helper client: request errors, start failures and concurrent requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HelperFailure, MetricsClient, MetricsPool } from '../../src/score/metrics-client.js';
import { setLogSink } from '../../src/util/log.js';

setLogSink(() => {});

test('helper survives a bad request', async () => {
  const client = new MetricsClient();
  try {
    await assert.rejects(client.request('analyze', { code: 42 }), /field 'code' must be a string/);
    await assert.rejects(client.request('explode', {}), /unknown op 'explode'/);
    const metrics = await client.analyze('def f():\n    return 1\n');
    assert.equal(metrics.syntax.valid, true);
    assert.equal(metrics.complexity?.cc_total, 1);
  } finally {
    await client.close();
  }
});

test('missing interpreter gives HelperFailure', async () => {
  const client = new MetricsClient({ python: '/nonexistent/python3' });
  try {
    await assert.rejects(client.analyze('x = 1'), (error: unknown) => error instanceof HelperFailure && /failed to start/.test(error.message));
  } finally {
    await client.close();
  }
});

test('pool answers concurrent requests', async () => {
  const pool = new MetricsPool(2);
  try {
    const codes = Array.from({ length: 50 }, (_, i) => `def f${i}(x):\n${'    if x:\n        x += 1\n'.repeat(i % 5)}    return x\n`);
    const results = await Promise.all(codes.map((code) => pool.analyze(code)));
    results.forEach((metrics, i) => {
      assert.equal(metrics.complexity?.cc_blocks[0].name, `f${i}`);
      assert.equal(metrics.complexity?.cc_total, 1 + (i % 5));
    });
  } finally {
    await pool.close();
  }
});
