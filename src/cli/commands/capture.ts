// `nir capture`: hidden states H_l of a text or token sequence, saved as a CRV safetensors file.

import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Decoder } from '../../engine/forward.js';
import { openBackend } from '../../engine/open-backend.js';
import { Arena } from '../../kernels/arena.js';
import { loadModel } from '../../model/load.js';
import { capture, parseSpan } from '../../nir/capture.js';
import { saveCrv } from '../../nir/crv-file.js';
import { loadTokenizer } from '../../tokenizer/tokenizer.js';
import { InputError } from '../../util/errors.js';
import { resolveModelArgument } from '../model-spec.js';
import { parseInteger, parseOptions, parseThreads, parseTokenList } from '../option-values.js';

const USAGE = `usage: nir capture --model PATH (--text TEXT | --tokens 1,2,3) --layer L [--span A:B] --out FILE.safetensors

  --model PATH     GGUF file or Hugging Face folder
  --text TEXT      text to capture, encoded with the model's special tokens (BOS)
  --tokens IDS     comma-separated token ids, used exactly as given
  --layer L        layer l in 0..L: capture H_l, the input of decoder layer l (L: the last layer's output)
  --span A:B       token positions A..B-1 to keep (default: all). Negative values count from the
                   end; write them as --span=-8: so that they are not read as an option
  --out FILE       safetensors file to write (tensor 'crv' [rows, hidden] F32 with provenance metadata)
  --threads N      compute threads (default: CPU count)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions(USAGE, () => parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      text: { type: 'string' },
      tokens: { type: 'string' },
      layer: { type: 'string' },
      span: { type: 'string' },
      out: { type: 'string' },
      threads: { type: 'string', default: String(availableParallelism()) },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  for (const name of ['model', 'layer', 'out'] as const) {
    if (values[name] === undefined) throw new InputError(`missing --${name}\n\n${USAGE}`);
  }
  if ((values.text === undefined) === (values.tokens === undefined)) {
    throw new InputError(`give exactly one of --text and --tokens\n\n${USAGE}`);
  }
  const layer = parseInteger('--layer', values.layer!, 0);
  const threads = parseThreads(values.threads);

  const arena = new Arena();
  const outDir = dirname(resolve(values.out!));
  if (!existsSync(outDir) || !statSync(outDir).isDirectory()) {
    throw new InputError(`cannot write ${values.out}: the folder ${outDir} does not exist`, { hint: 'create the folder first' });
  }
  if (existsSync(values.out!) && statSync(values.out!).isDirectory()) {
    throw new InputError(`cannot write ${values.out}: it is a folder; give a file name such as ${join(values.out!, 'crv.safetensors')}`);
  }
  const model = await loadModel(await resolveModelArgument(values.model!), arena);
  const tokens =
    values.tokens !== undefined
      ? parseTokenList('--tokens', values.tokens, model.config.vocabSize)
      : (await loadTokenizer(model.tokenizerFiles)).encode(values.text!, { addSpecial: true });
  const span = values.span === undefined ? { start: 0, end: tokens.length } : parseSpan(values.span, tokens.length);
  if (span.end <= span.start) {
    throw new InputError(`--span ${values.span} selects no positions of the ${tokens.length} tokens: give START:END with START < END`);
  }

  const backend = await openBackend(arena, threads);
  try {
    const crv = capture(new Decoder(backend, model), tokens, layer, span);
    saveCrv(values.out!, crv, {
      modelName: modelName(model.metadata, model.path),
      modelPath: model.path,
      modelSha256: await model.hashFiles(),
      layer,
      sourceText: values.text,
      sourceTokens: tokens,
      span,
    });
    console.log(`wrote ${values.out}: ${crv.rowCount} rows of width ${crv.width}, H_${layer} of tokens ${span.start}..${span.end - 1}`);
  } finally {
    await backend.close();
  }
  return 0;
}

/** Returns the model's own name (GGUF general.name or config.json _name_or_path), else its path. */
function modelName(metadata: unknown, path: string): string {
  if (metadata instanceof Map) {
    const entry = metadata.get('general.name') as { value?: unknown } | string | undefined;
    const value = typeof entry === 'object' && entry !== null ? entry.value : entry;
    if (typeof value === 'string') return value;
  } else if (typeof metadata === 'object' && metadata !== null) {
    const name = (metadata as Record<string, unknown>)._name_or_path;
    if (typeof name === 'string' && name !== '') return name;
  }
  return path;
}
