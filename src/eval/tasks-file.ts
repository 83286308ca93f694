// tasks.jsonl of an eval run: per task, the reasoning, CRV statistics and every variant's output,
// for the report's task browser. Rebuilt from the run folder at the end of each start.

import { readCrvStats } from './crv-stage.js';
import type { EvalSampleRecord } from './generation.js';
import { readThinking } from './thinking.js';

export function tasksJsonl(
  runDir: string,
  tasks: { task_id: number; text: string }[],
  records: readonly EvalSampleRecord[],
): string {
  const byTask = new Map<number, EvalSampleRecord[]>();
  for (const record of records) byTask.set(record.task_id, [...(byTask.get(record.task_id) ?? []), record]);
  const lines: string[] = [];
  for (const task of tasks) {
    const list = byTask.get(task.task_id);
    if (list === undefined) continue;
    const thinking = readThinking(runDir, task.task_id);
    const variants: Record<string, { prompt: string; output: string; code: string; outcome: string; passed: boolean }> = {};
    for (const record of list.filter((r) => r.sample === 0)) {
      variants[record.variant] = { prompt: record.prompt, output: record.completion, code: record.program, outcome: record.outcome, passed: record.passed };
    }
    lines.push(
      JSON.stringify({
        task_id: task.task_id,
        text: task.text,
        reasoning: thinking?.reasoning ?? null,
        thinking_prompt: thinking?.prompt ?? null,
        crv: readCrvStats(runDir, task.task_id),
        variants,
      }),
    );
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
