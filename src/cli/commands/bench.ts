// `nir bench`: prefill and decode speed of the engine on one model, peak memory, the decode
// bound set by memory bandwidth, and optionally the same measurements with llama.cpp.

import { statSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { Token } from 'node-llama-cpp';
import { Decoder } from '../../engine/forward.js';
import { openBackend } from '../../engine/open-backend.js';
import { argmax } from '../../engine/sampling.js';
import { Sequence } from '../../engine/sequence.js';
import { Arena, MAX_SHARD_BYTES, RESERVED_BYTES } from '../../kernels/arena.js';
import { measureReadBandwidth } from '../../kernels/wasm/probe.js';
import { loadModel, type LoadedModel } from '../../model/load.js';
import { InputError } from '../../util/errors.js';
import { resolveModelArgument } from '../model-spec.js';
import { parseInteger, parseIntegerInRange, parseOptions, parseThreads } from '../option-values.js';

/** Largest --bandwidth-mb: the probe buffer must fit in one wasm memory beside its reserved bytes. */
const MAX_BANDWIDTH_MIB = Math.floor((MAX_SHARD_BYTES - RESERVED_BYTES) / 2 ** 20);

const USAGE = `usage: nir bench --model PATH [options]

  --model PATH            GGUF file or Hugging Face folder
  --threads N             compute threads (default: available parallelism, ${os.availableParallelism()} here)
  --prompt-tokens P       prompt length for the prefill measurement (default 128)
  --gen-tokens G          tokens decoded one at a time after the prompt (default 32)
  --compare-llama-cpp     run the same prompt and decode with llama.cpp (node-llama-cpp, CPU; GGUF only)
  --bandwidth-mb M        MiB read to measure memory bandwidth (default 512, at most ${MAX_BANDWIDTH_MIB}; keep it far above the L3 size)
  --repeat R              timed runs of each engine; the figures are their medians (default 1)
  --json                  print one JSON object instead of text

Prompt tokens are random ids (seed 1); decoding feeds back the most likely token. The prompt and
the decoded tokens must fit the model's context length.

JSON keys: model, threads, prompt_tokens, gen_tokens, repeat, prefill_tok_s, decode_tok_s,
peak_rss_bytes, weight_bytes_per_token, read_bandwidth_bytes_per_s, decode_bound_tok_s,
decode_bound_fraction; with --compare-llama-cpp also llama_cpp_prefill_tok_s,
llama_cpp_decode_tok_s, prefill_ratio and decode_ratio (ours divided by llama.cpp's).`;

interface EngineFigures {
  prefillSeconds: number;
  decodeSeconds: number;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(USAGE, () => parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      threads: { type: 'string' },
      'prompt-tokens': { type: 'string', default: '128' },
      'gen-tokens': { type: 'string', default: '32' },
      'compare-llama-cpp': { type: 'boolean', default: false },
      'bandwidth-mb': { type: 'string', default: '512' },
      repeat: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.model === undefined) throw new InputError(`missing --model\n\n${USAGE}`);
  const threads = values.threads === undefined ? os.availableParallelism() : parseThreads(values.threads);
  const promptTokens = parseInteger('--prompt-tokens', values['prompt-tokens'], 1);
  const genTokens = parseInteger('--gen-tokens', values['gen-tokens'], 1);
  const bandwidthMiB = parseIntegerInRange('--bandwidth-mb', values['bandwidth-mb'], 1, MAX_BANDWIDTH_MIB);
  const repeat = parseIntegerInRange('--repeat', values.repeat, 1, 100);

  const modelPath = await resolveModelArgument(values.model);
  if (values['compare-llama-cpp'] && isFolder(modelPath)) {
    throw new InputError(`--compare-llama-cpp needs a GGUF file, but ${values.model} is a Hugging Face folder`);
  }
  const arena = new Arena();
  const model = await loadModel(modelPath, arena);
  // Checked before any cache is sized for the run.
  const positions = promptTokens + genTokens;
  if (positions > model.config.maxPositions) {
    throw new InputError(
      `--prompt-tokens ${promptTokens} and --gen-tokens ${genTokens} need ${positions} positions, more than the model's context length of ${model.config.maxPositions}`,
    );
  }
  const prompt = randomTokens(promptTokens, model.config.vocabSize);

  const engine = await runEngine(model, arena, threads, prompt, genTokens, repeat);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const bandwidth = await measureReadBandwidth(threads, bandwidthMiB * 2 ** 20);
  const weightBytes = weightBytesPerToken(model);

  const result: Record<string, number | string> = {
    model: modelPath,
    threads,
    prompt_tokens: promptTokens,
    gen_tokens: genTokens,
    repeat,
    prefill_tok_s: promptTokens / engine.prefillSeconds,
    decode_tok_s: genTokens / engine.decodeSeconds,
    peak_rss_bytes: peakRssBytes,
    weight_bytes_per_token: weightBytes,
    read_bandwidth_bytes_per_s: bandwidth.bytesPerSecond,
    decode_bound_tok_s: bandwidth.bytesPerSecond / weightBytes,
  };
  result.decode_bound_fraction = (result.decode_tok_s as number) / (result.decode_bound_tok_s as number);

  if (values['compare-llama-cpp']) {
    const llama = await runLlamaCpp(modelPath, threads, prompt, genTokens, repeat);
    result.llama_cpp_prefill_tok_s = promptTokens / llama.prefillSeconds;
    result.llama_cpp_decode_tok_s = genTokens / llama.decodeSeconds;
    result.prefill_ratio = (result.prefill_tok_s as number) / result.llama_cpp_prefill_tok_s;
    result.decode_ratio = (result.decode_tok_s as number) / result.llama_cpp_decode_tok_s;
  }

  if (values.json) console.log(JSON.stringify(result));
  else printText(result);
  return 0;
}

/** Runs a short warm-up sequence (so V8 has optimized the kernels), then `repeat` timed prefills and decodes. */
async function runEngine(model: LoadedModel, arena: Arena, threads: number, prompt: Int32Array, genTokens: number, repeat: number): Promise<EngineFigures> {
  const backend = await openBackend(arena, threads);
  try {
    const decoder = new Decoder(backend, model);
    const warm = new Sequence(decoder, { capacity: prompt.length + genTokens + 1 });
    let logits = warm.prefill(prompt.subarray(0, Math.min(8, prompt.length)))!;
    for (let k = 0; k < 2; k++) logits = warm.step(argmax(logits))!;

    const runs: EngineFigures[] = [];
    for (let r = 0; r < repeat; r++) {
      const sequence = new Sequence(decoder, { capacity: prompt.length + genTokens + 1 });
      const prefillStart = performance.now();
      logits = sequence.prefill(prompt)!;
      const prefillSeconds = (performance.now() - prefillStart) / 1000;
      const decodeStart = performance.now();
      for (let k = 0; k < genTokens; k++) logits = sequence.step(argmax(logits))!;
      runs.push({ prefillSeconds, decodeSeconds: (performance.now() - decodeStart) / 1000 });
    }
    return medianFigures(runs);
  } finally {
    await backend.close();
  }
}

/** Returns the median prefill time and the median decode time of several runs, each taken on its own. */
function medianFigures(runs: EngineFigures[]): EngineFigures {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  return { prefillSeconds: median(runs.map((run) => run.prefillSeconds)), decodeSeconds: median(runs.map((run) => run.decodeSeconds)) };
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** Runs the same prompt and greedy decode with llama.cpp's CPU build through node-llama-cpp. */
async function runLlamaCpp(modelPath: string, threads: number, prompt: Int32Array, genTokens: number, repeat: number): Promise<EngineFigures> {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  try {
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({ contextSize: prompt.length + genTokens + 8, batchSize: prompt.length, threads });
    try {
      const tokens = Array.from(prompt) as Token[];
      // Warm-up on a separate sequence state: evaluate a few tokens, then clear the context.
      const warm = context.getSequence();
      await warm.evaluateWithoutGeneratingNewTokens(tokens.slice(0, Math.min(8, tokens.length)));
      await warm.clearHistory();
      warm.dispose();

      const runs: EngineFigures[] = [];
      for (let r = 0; r < repeat; r++) {
        const sequence = context.getSequence();
        const prefillStart = performance.now();
        await sequence.evaluateWithoutGeneratingNewTokens(tokens);
        const prefillSeconds = (performance.now() - prefillStart) / 1000;
        const decodeStart = performance.now();
        let generated = 0;
        // evaluate() needs at least one input token, so the last prompt token is fed again.
        for await (const _token of sequence.evaluate([tokens[tokens.length - 1]], { temperature: 0 })) {
          if (++generated >= genTokens) break;
        }
        runs.push({ prefillSeconds, decodeSeconds: (performance.now() - decodeStart) / 1000 });
        await sequence.clearHistory();
        sequence.dispose();
      }
      return medianFigures(runs);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  } finally {
    await llama.dispose();
  }
}

/** Bytes of weights a decode step reads: every matrix and norm once, and one embedding row. */
function weightBytesPerToken(model: LoadedModel): number {
  let bytes = 0;
  for (const [name, weight] of model.weights) {
    if (name === 'token_embd') bytes += weight.nbytes / weight.rows;
    else bytes += weight.nbytes;
  }
  // A tied model multiplies by the embedding table to get the logits.
  const embedding = model.weights.get('token_embd');
  if (!model.weights.has('output') && embedding !== undefined) bytes += embedding.nbytes;
  return bytes;
}

/** Prompt ids drawn from the vocabulary with a fixed seed (xorshift32), so runs compare. */
function randomTokens(count: number, vocabSize: number): Int32Array {
  const tokens = new Int32Array(count);
  let state = 1;
  for (let i = 0; i < count; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    tokens[i] = (state >>> 0) % vocabSize;
  }
  return tokens;
}


function printText(result: Record<string, number | string>): void {
  const number = (key: string, digits = 1) => (result[key] as number).toFixed(digits);
  console.log(`model ${result.model}, ${result.threads} threads, prompt ${result.prompt_tokens} tokens, decode ${result.gen_tokens} tokens`);
  console.log(`prefill ${number('prefill_tok_s')} tok/s, decode ${number('decode_tok_s', 2)} tok/s, peak RSS ${((result.peak_rss_bytes as number) / 2 ** 20).toFixed(0)} MiB`);
  console.log(
    `decode bound: ${((result.weight_bytes_per_token as number) / 1e6).toFixed(1)} MB of weights per token at ` +
      `${((result.read_bandwidth_bytes_per_s as number) / 1e9).toFixed(1)} GB/s read = ${number('decode_bound_tok_s', 2)} tok/s; ` +
      `reached ${(100 * (result.decode_bound_fraction as number)).toFixed(0)}%`,
  );
  if (result.llama_cpp_decode_tok_s !== undefined) {
    console.log(`llama.cpp: prefill ${number('llama_cpp_prefill_tok_s')} tok/s, decode ${number('llama_cpp_decode_tok_s', 2)} tok/s`);
    console.log(`ratio to llama.cpp: prefill ${number('prefill_ratio', 2)}, decode ${number('decode_ratio', 2)}`);
  }
}
