// Checks the bundled GGUF model with llama.cpp (node-llama-cpp 3.21.1, CPU binary) against
// golden next-token logits and greedy ids that tools/train/export_all.py took from the PyTorch model.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';

// This file compiles to dist/tests/bundled/, three folders below the repository root.
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const MODELS = join(REPO, 'models');
const GOLDEN = join(REPO, 'tools', 'train', 'golden.json');

const SPECIAL_TOKENS = ['<|begin_of_text|>', '<|end_of_text|>', '<|user|>', '<|assistant|>', '<|end|>'];
// Bounds for F16 weights against the float32 PyTorch model. The measured differences are listed in
// docs/MODEL_CARD.md, and these bounds leave room above them.
const LOG_PROB_TOLERANCE = 0.05;
const PROB_TOLERANCE = 0.005;
const TOP_COMPARED = 50;
// Greedy ids must match the PyTorch ones for this many tokens. F16 rounding could flip a near tie later on.
const GREEDY_MATCHED = 8;

interface GoldenPrompt {
  name: string;
  text: string;
  ids: number[];
  next_token_logits: number[];
  greedy_ids: number[];
  greedy_text: string;
}

interface Golden {
  model_file: string;
  model_sha256: string;
  prompts: GoldenPrompt[];
}

function findModelFile(): string {
  const files = readdirSync(MODELS).filter((name) => name.endsWith('.gguf'));
  assert.equal(files.length, 1, `expected one .gguf file in ${MODELS}, found ${JSON.stringify(files)}`);
  return join(MODELS, files[0]);
}

function logSoftmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const logSum = Math.log(logits.reduce((sum, x) => sum + Math.exp(x - max), 0)) + max;
  return logits.map((x) => x - logSum);
}

let llama: Llama;
let model: LlamaModel;
let golden: Golden;
let modelPath: string;

before(async () => {
  modelPath = findModelFile();
  golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
  llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
  model = await llama.loadModel({ modelPath });
});

after(async () => {
  await model?.dispose();
  await llama?.dispose();
});

test('golden file matches shipped model', () => {
  const digest = createHash('sha256').update(readFileSync(modelPath)).digest('hex');
  assert.equal(golden.model_sha256, digest, `${GOLDEN} was made for another model file; rerun tools/train/train_all.py --skip-train`);
});

test('gguf tokenizer metadata', () => {
  const metadata = model.fileInfo.metadata as unknown as {
    general: { architecture: string };
    tokenizer: { ggml: Record<string, unknown>; chat_template: string };
  };
  const ggml = metadata.tokenizer.ggml;
  assert.equal(metadata.general.architecture, 'llama');
  assert.equal(ggml.model, 'gpt2');
  assert.equal(ggml.pre, 'gpt-2');
  assert.equal((ggml.tokens as string[]).length, 4096);
  assert.equal((ggml.merges as string[]).length, 4096 - 256 - SPECIAL_TOKENS.length);
  assert.equal(ggml.add_bos_token, true);
  assert.match(metadata.tokenizer.chat_template, /add_generation_prompt/);

  const tokens = ggml.tokens as string[];
  assert.deepEqual(tokens.slice(-SPECIAL_TOKENS.length), SPECIAL_TOKENS);
  assert.equal(tokens[ggml.bos_token_id as number], '<|begin_of_text|>');
  assert.equal(tokens[ggml.eos_token_id as number], '<|end_of_text|>');
  assert.equal(tokens[ggml.eot_token_id as number], '<|end|>');
  assert.equal(model.tokens.bos, ggml.bos_token_id);
  assert.equal(model.tokens.eot, ggml.eot_token_id);
});

test('special tokens tokenize to single ids', () => {
  for (const [index, text] of SPECIAL_TOKENS.entries()) {
    assert.deepEqual(model.tokenize(text, true), [4096 - SPECIAL_TOKENS.length + index], text);
  }
});

test('llama.cpp tokenizer matches python encoder', () => {
  for (const prompt of golden.prompts) {
    const ids = model.tokenize(prompt.text, true);
    // The golden ids start with the BOS token, which tokenize() does not add.
    assert.deepEqual([model.tokens.bos, ...ids], prompt.ids, prompt.name);
    assert.equal(model.detokenize(ids, true), prompt.text, prompt.name);
  }
});

test('next-token log-probs match golden logits', async () => {
  for (const prompt of golden.prompts) {
    const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: 1 });
    try {
      const last = prompt.ids.length - 1;
      const input = prompt.ids.map((id, i) =>
        i === last
          ? ([id as Token, { generateNext: { probabilities: true, options: { temperature: 1, topK: 0, topP: 1, minP: 0 } } }] as const)
          : (id as Token),
      );
      const results = await context.getSequence().controlledEvaluate(input as never);
      const probabilities = results[last]?.next?.probabilities;
      assert.ok(probabilities, `${prompt.name}: llama.cpp returned no probabilities`);
      assert.equal(probabilities.size, 4096, `${prompt.name}: probabilities should cover the whole vocabulary`);

      const expected = logSoftmax(prompt.next_token_logits);
      const ranked = expected.map((value, id) => ({ id, value })).sort((a, b) => b.value - a.value);
      assert.equal(probabilities.keys().next().value, ranked[0].id, `${prompt.name}: most likely token differs`);

      let maxLogDiff = 0;
      for (const { id, value } of ranked.slice(0, TOP_COMPARED)) {
        const found = Math.log(probabilities.get(id as Token) ?? 0);
        maxLogDiff = Math.max(maxLogDiff, Math.abs(found - value));
      }
      assert.ok(maxLogDiff < LOG_PROB_TOLERANCE, `${prompt.name}: top-${TOP_COMPARED} log-prob max diff ${maxLogDiff}`);

      let maxProbDiff = 0;
      for (const [id, found] of probabilities) {
        maxProbDiff = Math.max(maxProbDiff, Math.abs(found - Math.exp(expected[id])));
      }
      assert.ok(maxProbDiff < PROB_TOLERANCE, `${prompt.name}: probability max diff ${maxProbDiff}`);
    } finally {
      await context.dispose();
    }
  }
});

test('greedy code reply contains a function', async () => {
  const prompt = golden.prompts.find((p) => p.name === 'code_prompt');
  assert.ok(prompt, `${GOLDEN} has no code_prompt entry`);
  const context = await model.createContext({ contextSize: 512, batchSize: 512, threads: 1 });
  try {
    const generated: Token[] = [];
    const stop = new Set([model.tokens.eot, model.tokens.eos]);
    for await (const token of context.getSequence().evaluate(prompt.ids as Token[], { temperature: 0 })) {
      if (stop.has(token)) break;
      generated.push(token);
      if (generated.length >= prompt.greedy_ids.length) break;
    }
    const text = model.detokenize(generated);
    assert.deepEqual(generated.slice(0, GREEDY_MATCHED), prompt.greedy_ids.slice(0, GREEDY_MATCHED), text);
    assert.match(text, /def /, `greedy reply: ${JSON.stringify(text)}`);
  } finally {
    await context.dispose();
  }
});
