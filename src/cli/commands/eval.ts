// `nir eval`: the NIR experiment on MBPP, from the thinking stage to the per-depth table.

import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Placement, PositionMode } from '../../engine/injection.js';
import { runEval } from '../../eval/run-eval.js';
import { ProgressLine } from '../../eval/progress.js';
import type { CrvSource, EvalOptions } from '../../eval/options.js';
import { BUNDLED_PROMPTS_DIR } from '../../eval/templates.js';
import { SECTION_NAMES } from '../../eval/sections.js';
import { writeReport } from '../../report/index.js';
import { InputError } from '../../util/errors.js';
import { resolveModelArgument } from '../model-spec.js';
import { optionalInteger, optionalNumber, parseInteger, parseThreads, readToolVersion } from '../option-values.js';

/** The model trained by this project and shipped with it (see docs/MODEL_CARD.md). */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../../../models/nir-code-7m.gguf', import.meta.url));
/** Tasks of the default run on the bundled model: the first ten of the test split. */
const BUNDLED_DEFAULT_LIMIT = 10;

const USAGE = `usage: nir eval [--model PATH|hf:ORG/NAME[@REV][:FILE]] [options]

Runs the NIR experiment on MBPP: for each task a thinking stage, CRVs from the
reasoning, one generation per integration depth and one without (orig), then
scoring in the sandbox. Rerunning the same command resumes; adding depths to a
finished run only runs the new generations.

model and tasks:
  --model SPEC            GGUF file, Hugging Face folder or hf:org/name (default: the
                          bundled model, on the first ${BUNDLED_DEFAULT_LIMIT} test tasks unless --tasks/--limit)
  --tasks SEL             test (default), train, validation, prompt, all, sanitized
                          (the sanitized set's test split), or ids/ranges like 11-20,25
  --dataset D             full (default), sanitized, or the path of an MBPP JSONL file
  --limit N               at most N tasks
depths:
  --layers LIST           integration layers and orig, e.g. 1,10,23,orig (default: layers
                          1, 10, 23 of 32 scaled to the model, and orig)
  --pairs LIST            CAPTURE:INTEGRATION pairs, e.g. 10:1,23:10,1:23 (the first
                          release's index mix-up); may be combined with --layers
  --context-variant       also generate with the CRV source tokens in front of the prompt (ctx)
integration:
  --placement P           prepend (default), append or add
  --alpha A               scale of the mean CRV row for --placement add (default 1)
  --positions MODE        consistent (default) or original (the first release's decode positions)
  --crv-source S          reasoning (default), recorded (hidden states recorded while
                          thinking), or sections:NAMES with NAMES from ${SECTION_NAMES.join(', ')}
prompts and sampling:
  --thinking-template F   thinking prompt template (default prompts/thinking.txt)
  --code-template F       code prompt template (default prompts/code.txt)
  --no-chat               do not wrap prompts in the model's chat template
  --temperature T         0 (default) is greedy decoding
  --top-k K, --top-p P    sampling filters
  --seed S                base seed (default 1); every variant of a task uses the same seed
  --samples N             samples per task and variant (default 1)
  --thinking-max-tokens N tokens of reasoning (default 512, at most a third of the context)
  --code-max-tokens N     tokens of the code reply (default 384, at most a quarter of the context)
  --retry-name            generate once more, naming the function, when the asserts' function is missing
run:
  --out DIR               run folder (default runs/eval-<model name>)
  --threads N             compute threads (default: CPU count)
  --workers N             sandbox workers (default: CPU count)
  --timeout-ms N          wall-clock limit of one program's asserts (default 5000)
  --no-report             do not write report.html
  -h, --help              show this help`;

function parseCrvSource(text: string): CrvSource {
  if (text === 'reasoning' || text === 'recorded') return { kind: text };
  const match = /^sections:(.+)$/.exec(text);
  if (match) {
    const sections = match[1].split(',').map((s) => s.trim().toLowerCase());
    const unknown = sections.filter((s) => !(SECTION_NAMES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new InputError(`unknown reasoning section(s) ${unknown.join(', ')}: expected ${SECTION_NAMES.join(', ')}`);
    return { kind: 'sections', sections };
  }
  throw new InputError(`invalid --crv-source '${text}': expected reasoning, recorded or sections:NAMES`);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      model: { type: 'string' },
      tasks: { type: 'string' },
      dataset: { type: 'string', default: 'full' },
      limit: { type: 'string' },
      layers: { type: 'string' },
      pairs: { type: 'string' },
      'context-variant': { type: 'boolean', default: false },
      placement: { type: 'string', default: 'prepend' },
      alpha: { type: 'string' },
      positions: { type: 'string', default: 'consistent' },
      'crv-source': { type: 'string', default: 'reasoning' },
      'thinking-template': { type: 'string', default: join(BUNDLED_PROMPTS_DIR, 'thinking.txt') },
      'code-template': { type: 'string', default: join(BUNDLED_PROMPTS_DIR, 'code.txt') },
      'no-chat': { type: 'boolean', default: false },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      samples: { type: 'string' },
      'thinking-max-tokens': { type: 'string' },
      'code-max-tokens': { type: 'string' },
      'retry-name': { type: 'boolean', default: false },
      out: { type: 'string' },
      threads: { type: 'string' },
      workers: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'no-report': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  const bundled = values.model === undefined;
  if (bundled && !existsSync(BUNDLED_MODEL)) {
    throw new InputError(`the bundled model ${BUNDLED_MODEL} is missing`, { hint: 'give --model PATH, or restore models/ from the repository' });
  }
  const modelSpec = values.model ?? BUNDLED_MODEL;
  const model = await resolveModelArgument(modelSpec);
  const placement = values.placement as Placement;
  if (!['prepend', 'append', 'add'].includes(placement)) throw new InputError(`invalid --placement '${placement}': expected prepend, append or add`);
  const positions = values.positions as PositionMode;
  if (!['consistent', 'original'].includes(positions)) throw new InputError(`invalid --positions '${positions}': expected consistent or original`);
  if (values.alpha !== undefined && placement !== 'add') throw new InputError('--alpha applies only to --placement add');
  const limit = values.limit !== undefined ? parseInteger('--limit', values.limit, 1) : bundled && values.tasks === undefined ? BUNDLED_DEFAULT_LIMIT : undefined;
  const cores = availableParallelism();
  // Run folder name: the file or folder name of a local model, org-name[-file] of a hub spec.
  const modelName = modelSpec.startsWith('hf:')
    ? modelSpec.slice(3).replace(/[/\\:@]+/g, '-').replace(/\.gguf$/, '')
    : basename(modelSpec.replace(/[/\\]+$/, '')).replace(/\.gguf$/, '');

  const options: EvalOptions = {
    model,
    dataset: values.dataset,
    tasks: values.tasks ?? 'test',
    limit,
    layers: values.layers,
    pairs: values.pairs,
    contextVariant: values['context-variant'],
    placement,
    alpha: optionalNumber('--alpha', values.alpha, 1),
    positions,
    crvSource: parseCrvSource(values['crv-source']),
    thinkingTemplate: values['thinking-template'],
    codeTemplate: values['code-template'],
    chat: !values['no-chat'],
    temperature: optionalNumber('--temperature', values.temperature, 0),
    topK: values['top-k'] === undefined ? undefined : optionalInteger('--top-k', values['top-k'], 0, 0),
    topP: values['top-p'] === undefined ? undefined : optionalNumber('--top-p', values['top-p'], 1),
    seed: optionalInteger('--seed', values.seed, 1, 0),
    samples: optionalInteger('--samples', values.samples, 1, 1),
    thinkingMaxTokens: optionalInteger('--thinking-max-tokens', values['thinking-max-tokens'], 512, 1),
    codeMaxTokens: optionalInteger('--code-max-tokens', values['code-max-tokens'], 384, 1),
    retryOnNameMismatch: values['retry-name'],
    threads: values.threads === undefined ? cores : parseThreads(values.threads),
    workers: optionalInteger('--workers', values.workers, cores, 1),
    timeoutMs: optionalInteger('--timeout-ms', values['timeout-ms'], 5000, 1),
    out: values.out ?? join('runs', `eval-${modelName}`),
  };

  const progress = new ProgressLine(process.stderr);
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    if (interrupted === 1) process.stderr.write('\nnir eval: stopping after the sample in flight (Ctrl-C again to quit at once)\n');
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  try {
    const result = await runEval(options, {
      progress,
      shouldStop: () => interrupted > 0,
      onStart: (lines) => process.stderr.write(`nir eval\n${lines.map((line) => `  ${line}`).join('\n')}\n`),
      toolVersion: readToolVersion(),
      command: ['eval', ...argv],
    });
    console.log(`\n${result.table}\n`);
    console.log(`run folder: ${result.runDir} (${result.status})`);
    if (!values['no-report']) {
      console.log(`report: ${await writeRunReport(result.runDir)}`);
    }
    return result.status === 'complete' ? 0 : 130;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** Writes report.html into the run folder; returns its path. */
async function writeRunReport(runDir: string): Promise<string> {
  const out = join(runDir, 'report.html');
  await writeReport([runDir], out);
  return out;
}
