// Charts of the report as vega-lite specs, rendered to SVG at build time (vega View with
// renderer 'none'), so the page needs no script or network to show them.

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { InputError } from '../util/errors.js';

/** Run colors: the first run, then the second run of a comparison. */
export const RUN_COLORS = ['#2f6db5', '#d9712b'];

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const CONFIG = {
  font: FONT,
  background: '#ffffff',
  padding: 8,
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: 500, titleColor: '#444', labelColor: '#555', gridColor: '#ececec', domainColor: '#bbb', tickColor: '#bbb' },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start', color: '#222', subtitleColor: '#777', subtitleFontSize: 10.5 },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'bottom' },
} as const;

/** A point of a metric at one integration depth, for one run. */
export interface DepthPoint {
  run: string;
  variant: string;
  layer: number;
  mean: number;
  low: number | null;
  high: number | null;
}

/** The `orig` reference of one run. */
export interface ReferenceLevel {
  run: string;
  mean: number;
  low: number | null;
  high: number | null;
}

/** Renders a vega-lite spec to an SVG string. Data must be inline, because the loader refuses every URL. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const loader = vega.loader();
  loader.load = async (uri: string) => {
    throw new InputError(`chart data must be inline, but the spec requests ${uri}`);
  };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Builds the plot of one metric against integration depth, with `orig` as a dashed line and band. */
export function depthChartSpec(metric: string, points: DepthPoint[], references: ReferenceLevel[], runs: string[]): TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: null, scale: { domain: runs, range: RUN_COLORS.slice(0, runs.length) }, legend: runs.length > 1 ? {} : null } as const;
  const layers: unknown[] = [
    {
      data: { values: references.filter((reference) => reference.low !== null && reference.high !== null) },
      mark: { type: 'rect', opacity: 0.1 },
      encoding: { y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
    },
    {
      data: { values: references },
      mark: { type: 'rule', strokeDash: [5, 4], strokeWidth: 1.5 },
      encoding: { y: { field: 'mean', type: 'quantitative' }, color },
    },
    {
      data: { values: points.filter((point) => point.low !== null && point.high !== null) },
      mark: { type: 'rule', strokeWidth: 1.5, opacity: 0.7 },
      encoding: { x: { field: 'layer', type: 'quantitative' }, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' }, color },
    },
    {
      data: { values: points },
      mark: { type: 'line', point: { filled: true, size: 45 }, strokeWidth: 2 },
      encoding: {
        x: { field: 'layer', type: 'quantitative', title: 'integration layer', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'mean', type: 'quantitative', title: metric, scale: { zero: false } },
        color,
        order: { field: 'layer' },
        tooltip: [{ field: 'run' }, { field: 'variant' }, { field: 'mean', format: '.4~f' }, { field: 'low', format: '.4~f' }, { field: 'high', format: '.4~f' }],
      },
    },
  ];
  return {
    width: 300,
    height: 170,
    title: { text: metric, subtitle: 'mean with 95% CI; dashed: orig' },
    layer: layers,
  } as unknown as TopLevelSpec;
}

/** A variant's point on the trade-off plot. */
export interface TradeOffPoint {
  run: string;
  variant: string;
  /** `depth` for L<k> variants, which the line joins in layer order; orig and others are single points. */
  kind: 'orig' | 'depth' | 'other';
  /** Integration layer; null for orig and other variants. */
  layer: number | null;
  length: number;
  syntax: number;
}

/** Builds the trade-off plot: syntax rate against mean length, one labelled point per depth. */
export function tradeOffChartSpec(points: TradeOffPoint[], lengthMetric: string, syntaxMetric: string, runs: string[]): TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: null, scale: { domain: runs, range: RUN_COLORS.slice(0, runs.length) }, legend: runs.length > 1 ? {} : null } as const;
  const x = { field: 'length', type: 'quantitative', title: `${lengthMetric} (mean)`, scale: { zero: false, padding: 24 } } as const;
  const y = { field: 'syntax', type: 'quantitative', title: `${syntaxMetric} (mean)`, scale: { zero: false, padding: 16 } } as const;
  return {
    width: 520,
    height: 300,
    title: { text: `Trade-off: ${syntaxMetric} against ${lengthMetric}`, subtitle: 'one point per depth, line in depth order; diamond: orig, square: other variants' },
    data: { values: points },
    layer: [
      { transform: [{ filter: "datum.kind === 'depth'" }], mark: { type: 'line', strokeWidth: 1.5, opacity: 0.5 }, encoding: { x, y, color, order: { field: 'layer' } } },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y,
          color,
          shape: { field: 'kind', type: 'nominal', scale: { domain: ['depth', 'orig', 'other'], range: ['circle', 'diamond', 'square'] }, legend: null },
          tooltip: [{ field: 'run' }, { field: 'variant' }, { field: 'length', format: '.4~f' }, { field: 'syntax', format: '.4~f' }],
        },
      },
      { mark: { type: 'text', dx: 9, align: 'left', baseline: 'middle', fontSize: 11, color: '#333' }, encoding: { x, y, text: { field: 'variant' } } },
    ],
  } as unknown as TopLevelSpec;
}

/** A per-layer aggregate of one CRV statistic over tasks. */
export interface CrvLayerPoint {
  run: string;
  layer: number;
  mean: number;
  min: number;
  max: number;
}

/** Builds the CRV plot: a statistic's mean per capture layer over tasks, with its min-max range. */
export function crvChartSpec(statistic: string, points: CrvLayerPoint[], runs: string[]): TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: null, scale: { domain: runs, range: RUN_COLORS.slice(0, runs.length) }, legend: runs.length > 1 ? {} : null } as const;
  const x = { field: 'layer', type: 'ordinal', title: 'capture layer', axis: { labelAngle: 0 } } as const;
  return {
    width: { step: 90 },
    height: 220,
    title: { text: `CRV ${statistic} per layer`, subtitle: 'mean over tasks; bar: min to max' },
    data: { values: points },
    layer: [
      { mark: { type: 'rule', strokeWidth: 6, opacity: 0.25 }, encoding: { x, xOffset: { field: 'run' }, y: { field: 'min', type: 'quantitative', title: statistic, scale: { zero: false } }, y2: { field: 'max' }, color } },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: { x, xOffset: { field: 'run' }, y: { field: 'mean', type: 'quantitative' }, color, tooltip: [{ field: 'run' }, { field: 'layer' }, { field: 'mean', format: '.4~f' }, { field: 'min', format: '.4~f' }, { field: 'max', format: '.4~f' }] },
      },
    ],
  } as unknown as TopLevelSpec;
}

/** Share of one outcome among a variant's samples. */
export interface OutcomeBar {
  /** Row label: the variant, prefixed with the run label in a comparison. */
  label: string;
  outcome: string;
  count: number;
}

/** Builds the stacked bar chart of outcome shares per variant; `colors` pairs each outcome with its color. */
export function outcomeChartSpec(bars: OutcomeBar[], labels: string[], colors: { outcome: string; color: string }[]): TopLevelSpec {
  return {
    width: 460,
    height: { step: 22 },
    title: { text: 'Outcomes per variant', subtitle: 'share of samples' },
    data: { values: bars },
    mark: { type: 'bar', stroke: '#ffffff', strokeWidth: 1 },
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: labels },
      x: { field: 'count', type: 'quantitative', stack: 'normalize', title: null, axis: { format: '%' } },
      color: { field: 'outcome', type: 'nominal', title: null, scale: { domain: colors.map((entry) => entry.outcome), range: colors.map((entry) => entry.color) }, legend: { orient: 'bottom', columns: 4 } },
      order: { field: 'order' },
      tooltip: [{ field: 'label', title: 'variant' }, { field: 'outcome' }, { field: 'count' }],
    },
  } as unknown as TopLevelSpec;
}

/** Builds a horizontal bar chart of phase durations in seconds. */
export function timingChartSpec(rows: { run: string; phase: string; seconds: number }[], runs: string[]): TopLevelSpec {
  const color = { field: 'run', type: 'nominal', title: null, scale: { domain: runs, range: RUN_COLORS.slice(0, runs.length) }, legend: runs.length > 1 ? {} : null } as const;
  return {
    width: 380,
    height: { step: runs.length > 1 ? 12 : 18 },
    title: { text: 'Timings', subtitle: 'seconds per phase' },
    data: { values: rows },
    mark: { type: 'bar', cornerRadiusEnd: 2 },
    encoding: {
      y: { field: 'phase', type: 'nominal', title: null, sort: null },
      yOffset: { field: 'run' },
      x: { field: 'seconds', type: 'quantitative', title: 'seconds' },
      color,
      tooltip: [{ field: 'run' }, { field: 'phase' }, { field: 'seconds', format: '.3~f' }],
    },
  } as unknown as TopLevelSpec;
}
