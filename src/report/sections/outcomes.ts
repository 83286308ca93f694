// Outcome shares per variant as a stacked bar chart, from summary.json's outcome counts or,
// when it has none, counted from samples.jsonl.

import { outcomeChartSpec, renderSvg, type OutcomeBar } from '../charts.js';
import type { RunData } from '../run-folder.js';
import { compareVariants } from '../variants.js';
import { chartFigure } from './plots.js';
import { outcomeClass } from './tasks.js';

const CLASS_COLORS: Record<string, string[]> = {
  passed: ['#2da44e'],
  failed: ['#cf222e'],
  // Errors alternate amber and purple so that syntax errors and timeouts stay apart.
  error: ['#e3a008', '#8250df', '#bc4c00', '#6639ba'],
  other: ['#8c959f', '#6e7781', '#afb8c1', '#57606a', '#d0d7de'],
};

/** Returns outcome counts per variant: summary.json's, else counted from the samples. */
export function outcomeCounts(run: RunData): Record<string, Record<string, number>> {
  if (Object.keys(run.outcomes).length) return run.outcomes;
  const counts: Record<string, Record<string, number>> = {};
  for (const sample of run.samples) {
    const variantCounts = (counts[sample.variant] ??= {});
    variantCounts[sample.outcome] = (variantCounts[sample.outcome] ?? 0) + 1;
  }
  return counts;
}

/** Assigns each outcome a color of its class (passed green, failed red, errors amber or purple, others grey). */
function outcomeColors(outcomes: string[]): { outcome: string; color: string }[] {
  const used: Record<string, number> = {};
  return outcomes.map((outcome) => {
    const palette = CLASS_COLORS[outcomeClass(outcome)];
    const index = used[outcomeClass(outcome)] ?? 0;
    used[outcomeClass(outcome)] = index + 1;
    return { outcome, color: palette[index % palette.length] };
  });
}

/** Renders the outcome chart, or undefined when no run has outcome counts or samples. */
export async function renderOutcomeChart(runs: RunData[], runLabels: string[]): Promise<string | undefined> {
  const bars: (OutcomeBar & { order: number })[] = [];
  const labels: string[] = [];
  runs.forEach((run, index) => {
    const counts = outcomeCounts(run);
    for (const variant of Object.keys(counts).sort(compareVariants)) {
      const label = runs.length > 1 ? `${runLabels[index]} ${variant}` : variant;
      labels.push(label);
      for (const [outcome, count] of Object.entries(counts[variant])) bars.push({ label, outcome, count, order: 0 });
    }
  });
  if (bars.length === 0) return undefined;

  // passed first, then failed, then errors and other outcomes, so the bars read left to right.
  const rank = (outcome: string) => ['passed', 'failed', 'error', 'other'].indexOf(outcomeClass(outcome));
  const outcomes = [...new Set(bars.map((bar) => bar.outcome))].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
  for (const bar of bars) bar.order = outcomes.indexOf(bar.outcome);
  return chartFigure('outcomes', await renderSvg(outcomeChartSpec(bars, labels, outcomeColors(outcomes))));
}
