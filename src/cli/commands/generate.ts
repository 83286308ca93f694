// `nir generate`: text generation with optional CRV integrations.

import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Decoder } from '../../engine/forward.js';
import { generate } from '../../engine/generate.js';
import { openBackend } from '../../engine/open-backend.js';
import { createSampler } from '../../engine/sampling.js';
import { Arena } from '../../kernels/arena.js';
import { loadModel } from '../../model/load.js';
import { loadCrv } from '../../nir/crv-file.js';
import { createInjection, type Injection, type Placement, type PositionMode } from '../../nir/injection.js';
import { encodeChatPrompt } from '../../tokenizer/prompt.js';
import { loadTokenizer, type Tokenizer } from '../../tokenizer/tokenizer.js';
import { InputError } from '../../util/errors.js';
import { log } from '../../util/log.js';
import { resolveModelArgument } from '../model-spec.js';
import { parseInteger, parseNumber, parseOptions, parseThreads, parseTokenList } from '../option-values.js';

const USAGE = `usage: nir generate --model PATH (--prompt TEXT [--chat] | --tokens 1,2,3) [options]

  --model PATH            GGUF file or Hugging Face folder
  --prompt TEXT           prompt text, encoded with the model's special tokens (BOS)
  --chat                  wrap --prompt as one user message in the model's chat template
  --tokens IDS            comma-separated prompt token ids, used exactly as given
  --max-tokens N          maximum new tokens (default 256)
  --temperature T         sampling temperature; 0 picks the most likely token (default 0)
  --top-k K               keep the K most likely tokens before sampling (0: all)
  --top-p P               keep the smallest set of tokens whose probability reaches P
  --seed S                seed of the sampler's random generator
  --inject SPEC           crv=FILE,layer=K[,placement=prepend|append|add][,alpha=A]; repeatable
  --positions MODE        consistent (default) or original: decode positions after an integration
  --threads N             compute threads (default: CPU count)
  --json                  print one JSON object {tokens, text} instead of streaming the text
  --logits                with --json, add the logits of every step (number[][])`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(USAGE, () => parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      chat: { type: 'boolean', default: false },
      tokens: { type: 'string' },
      'max-tokens': { type: 'string', default: '256' },
      temperature: { type: 'string', default: '0' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      inject: { type: 'string', multiple: true, default: [] },
      positions: { type: 'string', default: 'consistent' },
      threads: { type: 'string', default: String(availableParallelism()) },
      json: { type: 'boolean', default: false },
      logits: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.model === undefined) throw new InputError(`missing --model\n\n${USAGE}`);
  if ((values.prompt === undefined) === (values.tokens === undefined)) {
    throw new InputError(`give exactly one of --prompt and --tokens\n\n${USAGE}`);
  }
  if (values.chat && values.prompt === undefined) throw new InputError('--chat needs --prompt');
  if (values.logits && !values.json) throw new InputError('--logits needs --json');
  const positions = values.positions;
  if (positions !== 'consistent' && positions !== 'original') {
    throw new InputError(`invalid --positions '${positions}': expected consistent or original`);
  }
  const maxTokens = parseInteger('--max-tokens', values['max-tokens'], 0);
  const threads = parseThreads(values.threads);
  const sampler = createSampler({
    temperature: parseNumber('--temperature', values.temperature, 0),
    topK: values['top-k'] === undefined ? undefined : parseInteger('--top-k', values['top-k'], 0),
    topP: values['top-p'] === undefined ? undefined : parseNumber('--top-p', values['top-p'], 0, 1),
    seed: values.seed === undefined ? undefined : parseInteger('--seed', values.seed, 0),
  });

  const arena = new Arena();
  const model = await loadModel(await resolveModelArgument(values.model!), arena);
  const tokenizer = await loadTokenizer(model.tokenizerFiles);
  const injections = values.inject.map((spec) => parseInjection(spec, model.config));
  const promptTokens =
    values.tokens !== undefined
      ? parseTokenList('--tokens', values.tokens, model.config.vocabSize)
      : encodePrompt(tokenizer, values.prompt!, values.chat);

  const backend = await openBackend(arena, threads);
  try {
    const decoder = new Decoder(backend, model);
    const decode = (ids: readonly number[]) => tokenizer.decode(ids, { skipSpecial: true });
    const streamed: number[] = [];
    let printed = '';
    const result = generate(decoder, {
      promptTokens,
      injections,
      positions: positions as PositionMode,
      sampler,
      maxTokens,
      stopTokenIds: tokenizer.stopIds,
      decode,
      returnLogits: values.logits,
      onToken: values.json
        ? undefined
        : (token) => {
            streamed.push(token);
            // Hold back a trailing U+FFFD: it is the first bytes of a character still to come.
            const text = decode(streamed).replace(/\uFFFD+$/, '');
            if (text.length > printed.length && text.startsWith(printed)) {
              process.stdout.write(text.slice(printed.length));
              printed = text;
            }
          },
    });
    if (values.json) {
      const output: { tokens: number[]; text: string; stopReason: string; logits?: number[][] } = {
        tokens: result.tokens,
        text: result.text ?? '',
        stopReason: result.stopReason,
      };
      if (result.logits !== undefined) output.logits = result.logits.map((step) => Array.from(step));
      console.log(JSON.stringify(output));
    } else {
      const text = result.text ?? '';
      if (text.startsWith(printed)) process.stdout.write(text.slice(printed.length));
      process.stdout.write('\n');
    }
  } finally {
    await backend.close();
  }
  return 0;
}

function encodePrompt(tokenizer: Tokenizer, prompt: string, chat: boolean): number[] {
  return chat ? encodeChatPrompt(tokenizer, prompt) : tokenizer.encode(prompt, { addSpecial: true });
}

/** Parses crv=FILE,layer=K[,placement=...][,alpha=A] and loads and validates the CRV. */
function parseInjection(spec: string, config: Parameters<typeof createInjection>[0]): Injection {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) throw new InputError(`invalid --inject '${spec}': expected key=value pairs such as crv=FILE,layer=K`);
    const key = part.slice(0, at).trim();
    if (!['crv', 'layer', 'placement', 'alpha'].includes(key)) {
      throw new InputError(`invalid --inject '${spec}': unknown key '${key}' (expected crv, layer, placement, alpha)`);
    }
    fields.set(key, part.slice(at + 1).trim());
  }
  const file = fields.get('crv');
  const layerText = fields.get('layer');
  if (file === undefined || layerText === undefined) {
    throw new InputError(`invalid --inject '${spec}': crv=FILE and layer=K are required`);
  }
  const placement = (fields.get('placement') ?? 'prepend') as Placement;
  const alphaText = fields.get('alpha');
  const { crv } = loadCrv(file, config);
  if (crv.rowCount === 0) log.warn(`${file} has no rows, so its injection at layer ${layerText} changes nothing`);
  return createInjection(config, crv, {
    layer: parseInteger('layer', layerText, 0),
    placement,
    alpha: alphaText === undefined ? undefined : parseNumber('alpha', alphaText),
    source: file,
  });
}
