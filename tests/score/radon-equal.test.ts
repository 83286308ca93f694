// Every metric of the helper equals radon 5.1 on all MBPP reference solutions and on hand-written edge cases.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/mbpp.js';
import { MetricsClient } from '../../src/score/metrics-client.js';
import type { CodeMetrics } from '../../src/score/metrics-types.js';

const RADON = '/usr/bin/radon';
const DEBIAN_PYTHON = '/usr/bin/python3';
const FIXTURES = fileURLToPath(new URL('../../../tests/score/fixtures/', import.meta.url));
const HALSTEAD_ORDER = ['h1', 'h2', 'N1', 'N2', 'vocabulary', 'length', 'calculated_length', 'volume', 'difficulty', 'effort', 'time', 'bugs'] as const;

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

function radonJson(command: string, dir: string): Record<string, any> {
  const result = spawnSync(RADON, [command, '-j', dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(result.status, 0, `radon ${command} failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** Whole-module complexity from radon's own visitor, the value radon's MI uses; radon's CLI does not print it. */
function radonTotals(dir: string): Record<string, number> {
  const script = [
    'import json, os, sys',
    'from radon.visitors import ComplexityVisitor',
    'out = {}',
    'for name in sorted(os.listdir(sys.argv[1])):',
    '    with open(os.path.join(sys.argv[1], name)) as f:',
    '        out[name] = ComplexityVisitor.from_code(f.read()).total_complexity',
    'print(json.dumps(out))',
  ].join('\n');
  const result = spawnSync(DEBIAN_PYTHON, ['-c', script, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(result.status, 0, `radon visitor failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

function blockKey(block: { type: string; classname?: string; name: string; lineno: number }): string {
  return `${block.type} ${block.classname ?? ''}.${block.name}@${block.lineno}`;
}

function compareFile(name: string, mine: CodeMetrics, radon: Record<string, any>, mismatches: string[]): void {
  const report = (metric: string, theirs: unknown, ours: unknown) => mismatches.push(`${name}: ${metric}: radon ${JSON.stringify(theirs)}, helper ${JSON.stringify(ours)}`);
  if (!mine.syntax.valid) {
    report('syntax', 'parses', mine.syntax);
    return;
  }

  const raw = radon.raw[name];
  if ('error' in raw) {
    if (mine.raw !== null) report('raw', raw.error, mine.raw);
  } else {
    for (const [field, value] of Object.entries(raw)) {
      if (mine.raw?.[field as keyof typeof mine.raw] !== value) report(`raw.${field}`, value, mine.raw?.[field as keyof typeof mine.raw]);
    }
  }

  const mi = radon.mi[name];
  if (!('error' in mi) && (mine.mi === null || !close(mine.mi, mi.mi))) report('mi', mi.mi, mine.mi);

  const halstead = radon.hal[name];
  HALSTEAD_ORDER.forEach((field, index) => {
    if (!close(halstead.total[index], mine.halstead!.total[field])) report(`halstead.${field}`, halstead.total[index], mine.halstead!.total[field]);
  });
  const theirFunctions = halstead.functions as [string, number[]][];
  if (theirFunctions.length !== mine.halstead!.functions.length) report('halstead functions', theirFunctions.length, mine.halstead!.functions.length);
  theirFunctions.forEach(([functionName, figures], index) => {
    const ours = mine.halstead!.functions[index];
    if (ours?.name !== functionName) report(`halstead function ${index} name`, functionName, ours?.name);
    HALSTEAD_ORDER.forEach((field, position) => {
      if (ours !== undefined && !close(figures[position], ours[field])) report(`halstead ${functionName}.${field}`, figures[position], ours[field]);
    });
  });

  // `cc -j` lists each method twice (at top level and inside its class); the top-level list is compared.
  const theirBlocks = ((radon.cc[name] ?? []) as any[]).map((b) => `${blockKey(b)} cc=${b.complexity} end=${b.endline} col=${b.col_offset} ${b.rank}`).sort();
  const ourBlocks = mine.complexity!.cc_blocks.map((b) => `${blockKey(b)} cc=${b.complexity} end=${b.endline} col=${b.col_offset} ${b.rank}`).sort();
  if (JSON.stringify(theirBlocks) !== JSON.stringify(ourBlocks)) report('cc blocks', theirBlocks, ourBlocks);
  if (radon.totals[name] !== mine.complexity!.cc_total) report('cc_total', radon.totals[name], mine.complexity!.cc_total);
}

test('metrics equal radon on MBPP and edge cases', { skip: !existsSync(RADON) && 'radon is not installed at /usr/bin/radon' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nir-radon-'));
  const client = new MetricsClient();
  try {
    const files: string[] = [];
    for (const spec of ['full', 'sanitized'] as const) {
      for (const task of loadDataset(spec).tasks) {
        const name = `${spec}_${task.taskId}.py`;
        writeFileSync(join(dir, name), task.code);
        files.push(name);
      }
    }
    for (const name of readdirSync(FIXTURES).filter((entry) => entry.endsWith('.py'))) {
      writeFileSync(join(dir, `fixture_${name}`), readFileSync(join(FIXTURES, name)));
      files.push(`fixture_${name}`);
    }

    // radon keys its output by the path it was given.
    const byPath = (table: Record<string, any>) => Object.fromEntries(Object.entries(table).map(([path, value]) => [path.slice(dir.length + 1), value]));
    const radon = {
      cc: byPath(radonJson('cc', dir)),
      hal: byPath(radonJson('hal', dir)),
      mi: byPath(radonJson('mi', dir)),
      raw: byPath(radonJson('raw', dir)),
      totals: radonTotals(dir),
    };

    const results = await Promise.all(files.map((name) => client.analyze(readFileSync(join(dir, name), 'utf8'))));
    const mismatches: string[] = [];
    files.forEach((name, index) => compareFile(name, results[index], radon, mismatches));
    assert.equal(files.length, 974 + 427 + readdirSync(FIXTURES).filter((entry) => entry.endsWith('.py')).length);
    assert.deepEqual(mismatches.slice(0, 20), [], `${mismatches.length} mismatches`);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
