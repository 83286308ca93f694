// The NIR experiment on MBPP: for each task, the thinking stage, the CRVs, one generation per
// variant, and scoring, into a resumable run folder.

import { availableParallelism } from 'node:os';
import { loadDataset } from '../data/mbpp.js';
import { selectTasks, SPLITS, type SplitName } from '../data/selection.js';
import { Sandbox } from '../sandbox/index.js';
import { MetricsPool } from '../score/metrics-client.js';
import { RunFolder, hashFile, type ManifestRequest } from '../store/run-folder.js';
import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { buildCrvs } from './crv-stage.js';
import { parseVariants } from './depths.js';
import { studyTableCsv, studyTableMarkdown, summarizeEval, type EvalSummary } from './eval-summary.js';
import { generateSample, type EvalSampleRecord, type RunVariant } from './generation.js';
import { openModelContext } from './model-context.js';
import { describeCrvSource, RESUME_FREE_OPTIONS, type EvalOptions } from './options.js';
import type { ProgressLine } from './progress.js';
import { loadTemplate } from './templates.js';
import { tasksJsonl } from './tasks-file.js';
import { think } from './thinking.js';

export interface EvalRunResult {
  summary: EvalSummary;
  table: string;
  runDir: string;
  status: 'complete' | 'interrupted';
  variants: string[];
  tasks: number;
}

export interface EvalHooks {
  progress?: ProgressLine;
  /** Returns true once the run should stop after the sample in flight (Ctrl-C). */
  shouldStop?: () => boolean;
  /** Printed once the variants are known: the effective settings of the run. */
  onStart?: (lines: string[]) => void;
  toolVersion: string;
  command: string[];
}

/** Turns `--tasks` into a dataset and a selection: `sanitized` is the sanitized set's test split. */
function resolveTaskSelection(options: EvalOptions): { dataset: string; split: SplitName | 'all'; ids?: string } {
  if (options.tasks === 'sanitized') return { dataset: 'sanitized', split: 'test' };
  if (options.tasks === 'all' || options.tasks in SPLITS) return { dataset: options.dataset, split: options.tasks as SplitName | 'all' };
  if (/^[\d,\-\s]+$/.test(options.tasks)) return { dataset: options.dataset, split: 'all', ids: options.tasks };
  throw new InputError(`invalid --tasks '${options.tasks}'`, {
    expected: `a split (${Object.keys(SPLITS).join(', ')}, all), sanitized, or ids and ranges such as 11-20,25`,
    found: options.tasks,
  });
}

export async function runEval(options: EvalOptions, hooks: EvalHooks): Promise<EvalRunResult> {
  const selection = resolveTaskSelection(options);
  const dataset = loadDataset(selection.dataset);
  const tasks = selectTasks(dataset.tasks, { split: selection.split, ids: selection.ids, limit: options.limit });
  if (tasks.length === 0) throw new InputError(`no tasks selected by --tasks ${options.tasks}${options.limit !== undefined ? ` --limit ${options.limit}` : ''}`);
  const thinkingTemplate = loadTemplate(options.thinkingTemplate, ['task']);
  const codeTemplate = loadTemplate(options.codeTemplate, ['task']);

  const context = await openModelContext(options.model, options.threads);
  const config = context.model.config;
  // Both stages must fit the context together with the prompt and the CRV rows.
  const thinkingLimit = Math.floor(config.maxPositions / 3);
  const codeLimit = Math.floor(config.maxPositions / 4);
  if (options.thinkingMaxTokens > thinkingLimit || options.codeMaxTokens > codeLimit) {
    log.info(
      `token limits lowered to fit the context of ${config.maxPositions}: thinking ${Math.min(options.thinkingMaxTokens, thinkingLimit)} ` +
        `(asked ${options.thinkingMaxTokens}), code ${Math.min(options.codeMaxTokens, codeLimit)} (asked ${options.codeMaxTokens})`,
    );
  }
  options = {
    ...options,
    thinkingMaxTokens: Math.min(options.thinkingMaxTokens, Math.floor(config.maxPositions / 3)),
    codeMaxTokens: Math.min(options.codeMaxTokens, Math.floor(config.maxPositions / 4)),
  };
  const variants: RunVariant[] = parseVariants(config.numLayers, options.layers, options.pairs);
  if (options.contextVariant) variants.splice(variants.length - 1, 0, { name: 'ctx' });
  const captureLayers = [...new Set(variants.flatMap((v) => ('captureLayer' in v ? [v.captureLayer] : [])))].sort((a, b) => a - b);
  const needsCrvs = captureLayers.length > 0 || options.contextVariant;

  const request: ManifestRequest = {
    tool: { name: 'nir', version: hooks.toolVersion },
    command: hooks.command,
    kind: 'eval',
    options: { ...options, crvSource: describeCrvSource(options.crvSource), variants: variants.map((v) => v.name) } as Record<string, unknown>,
    resume_free_options: [...RESUME_FREE_OPTIONS, 'variants'],
    dataset: { name: dataset.name, path: dataset.path, sha256: dataset.sha256 },
    model: { path: options.model, sha256: context.sha256 },
    inputs: {
      thinking_template: { path: options.thinkingTemplate, sha256: await hashFile(options.thinkingTemplate) },
      code_template: { path: options.codeTemplate, sha256: await hashFile(options.codeTemplate) },
    },
  };

  hooks.onStart?.([
    `model       ${options.model} (${config.architecture}, ${config.numLayers} layers, width ${config.hiddenSize}, sha256 ${context.sha256.slice(0, 12)})`,
    `tasks       ${tasks.length} from ${dataset.name} (${options.tasks}${options.limit !== undefined ? `, limit ${options.limit}` : ''})`,
    `variants    ${variants.map((v) => ('captureLayer' in v && v.captureLayer !== v.integrationLayer ? `${v.name} (capture ${v.captureLayer} -> layer ${v.integrationLayer})` : v.name)).join(', ')}`,
    `integration placement ${options.placement}${options.placement === 'add' ? ` (alpha ${options.alpha})` : ''}, positions ${options.positions}, CRV source ${describeCrvSource(options.crvSource)}`,
    `sampling    temperature ${options.temperature}${options.topK !== undefined ? `, top-k ${options.topK}` : ''}${options.topP !== undefined ? `, top-p ${options.topP}` : ''}, seed ${options.seed}, ${options.samples} sample(s)`,
    `prompts     ${options.chat && context.tokenizer.chatTemplate !== null ? 'chat template' : options.chat ? 'plain text (the model has no chat template)' : 'plain text (--no-chat)'}`,
    `tokens      thinking ${options.thinkingMaxTokens}, code ${options.codeMaxTokens}; retry on name mismatch: ${options.retryOnNameMismatch ? 'yes' : 'no'}`,
    `compute     ${context.backend.name}, ${options.threads} thread(s); sandbox workers ${options.workers}`,
    `run folder  ${options.out}`,
  ]);

  const folder = RunFolder.open<EvalSampleRecord>(options.out, request);
  const metrics = new MetricsPool(Math.max(1, Math.min(options.workers, availableParallelism())));
  const sandbox = await Sandbox.create({ workers: options.workers, timeoutMs: options.timeoutMs });
  let status: 'complete' | 'interrupted' = 'complete';
  let tasksDone = 0;
  const runStarted = Date.now();
  const timings = { thinking_s: 0, crv_s: 0, generation_s: 0, scoring_s: 0, generated_tokens: 0 };

  try {
    for (const task of tasks) {
      if (hooks.shouldStop?.()) {
        status = 'interrupted';
        break;
      }
      const pending: Array<[RunVariant, number]> = [];
      for (const variant of variants) {
        for (let sample = 0; sample < options.samples; sample++) {
          if (!folder.samples.has({ task_id: task.taskId, variant: variant.name, sample })) pending.push([variant, sample]);
        }
      }
      if (pending.length === 0) {
        tasksDone++;
        continue;
      }

      const progressState = { tasksDone, tasksTotal: tasks.length, taskId: task.taskId, stage: 'thinking' };
      hooks.progress?.update(progressState, true);
      const recordLayers = options.crvSource.kind === 'recorded' ? captureLayers : [];
      const thinking = needsCrvs ? think(context, task, options, folder.dir, thinkingTemplate, recordLayers) : null;
      if (thinking !== null && !thinking.cached) {
        hooks.progress?.addTokens(thinking.record.tokens.length, thinking.record.seconds * 1000);
        timings.thinking_s += thinking.record.seconds;
        timings.generated_tokens += thinking.record.tokens.length;
      }

      progressState.stage = 'CRV';
      hooks.progress?.update(progressState, true);
      const crvStarted = Date.now();
      const crvs = thinking === null
        ? { sourceTokens: [], sourceText: '', byLayer: new Map(), stats: [] }
        : buildCrvs(context, thinking, options.crvSource, captureLayers, folder.dir);
      timings.crv_s += (Date.now() - crvStarted) / 1000;

      for (const [variant, sample] of pending) {
        if (hooks.shouldStop?.()) {
          status = 'interrupted';
          break;
        }
        progressState.stage = `generating ${variant.name}${options.samples > 1 ? ` #${sample}` : ''}`;
        hooks.progress?.update(progressState, true);
        const sampleStarted = Date.now();
        const { record, tokens, seconds } = await generateSample(context, task, variant, sample, crvs, options, codeTemplate, {
          metrics,
          sandbox,
          timeoutMs: options.timeoutMs,
        });
        hooks.progress?.addTokens(tokens, seconds * 1000);
        timings.generation_s += seconds;
        timings.scoring_s += (Date.now() - sampleStarted) / 1000 - seconds;
        timings.generated_tokens += tokens;
        folder.samples.append(record);
      }
      if (status === 'interrupted') break;
      tasksDone++;
      hooks.progress?.update({ tasksDone, tasksTotal: tasks.length, stage: 'done' }, true);
    }
  } catch (error) {
    folder.addTimings({ ...timings, total_s: (Date.now() - runStarted) / 1000 });
    folder.close('failed');
    throw error;
  } finally {
    hooks.progress?.finish();
    await sandbox.close();
    await metrics.close();
    await context.close();
  }

  folder.addTimings({ ...timings, total_s: (Date.now() - runStarted) / 1000 });
  const records = folder.samples.records;
  const summary = summarizeEval(records);
  const table = studyTableMarkdown(summary);
  folder.writeFile('summary.json', `${JSON.stringify(summary, null, 2)}\n`);
  folder.writeFile('summary.md', `# Summary\n\n${table}\n`);
  folder.writeFile('summary.csv', studyTableCsv(summary));
  folder.writeFile('tasks.jsonl', tasksJsonl(folder.dir, tasks.map((t) => ({ task_id: t.taskId, text: t.text })), records));
  folder.close(status);
  log.info(`eval ${status}: ${records.length} samples in ${options.out}`);
  return { summary, table, runDir: options.out, status, variants: variants.map((v) => v.name), tasks: tasks.length };
}
