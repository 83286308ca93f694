// `nir inspect PATH`: the normalized config, tokenizer facts and tensor table of a model, read
// from its headers only.

import { parseArgs } from 'node:util';

import { resolveModelArgument } from '../model-spec.js';
import { summarizeModel, type ModelSummary } from '../../model/summary.js';
import { InputError } from '../../util/errors.js';

const HELP = `usage: nir inspect PATH [--json]

Prints the normalized config, tokenizer facts and tensor table of a GGUF file
or a Hugging Face model folder. Only headers are read, so large models are fast.

options:
  --json      print one JSON object instead of tables
  -h, --help  show this help`;

function formatSummary(summary: ModelSummary): string {
  const lines = [`${summary.path} (${summary.format})`, '', 'config:'];
  for (const [key, value] of Object.entries(summary.config)) lines.push(`  ${key.padEnd(18)} ${JSON.stringify(value)}`);

  const t = summary.tokenizer;
  lines.push('', 'tokenizer:');
  lines.push(`  type               ${t.type}`);
  lines.push(`  vocabulary size    ${t.vocabSize}`);
  lines.push(`  bos / eos / eot    ${t.bosId ?? '-'} / ${t.eosId ?? '-'} / ${t.eotId ?? '-'}`);
  lines.push(`  chat template      ${t.hasChatTemplate ? 'present' : 'absent'}`);

  const nameWidth = Math.max(4, ...summary.tensors.map((row) => row.name.length));
  lines.push('', `${'name'.padEnd(nameWidth)}  type  ${'shape'.padEnd(14)} bytes`);
  let total = 0;
  for (const row of summary.tensors) {
    lines.push(`${row.name.padEnd(nameWidth)}  ${row.type.padEnd(4)}  ${`[${row.shape.join(', ')}]`.padEnd(14)} ${row.bytes}`);
    total += row.bytes;
  }
  lines.push(`${summary.tensors.length} tensors, ${total} bytes (${(total / 2 ** 20).toFixed(1)} MiB)`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new InputError(`inspect: ${(error as Error).message}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(`inspect: expected one model path, got ${positionals.length}\n\n${HELP}`);
    return 2;
  }
  const summary = summarizeModel(await resolveModelArgument(positionals[0]));
  console.log(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return 0;
}
