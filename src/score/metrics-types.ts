// Result types of the Python metrics helper (python/nir_metrics.py); field names are the helper's JSON names.

export interface SyntaxVerdict {
  valid: boolean;
  /** CPython's message, such as "invalid syntax" or "expected ':'"; null when valid. */
  message: string | null;
  /** 1-based line and column of the error; null when valid or unknown. */
  line: number | null;
  offset: number | null;
}

/** One function, method or class, as `radon cc` lists it. */
export interface ComplexityBlock {
  type: 'function' | 'method' | 'class';
  name: string;
  classname?: string;
  lineno: number;
  endline: number;
  col_offset: number;
  complexity: number;
  /** A (1-5), B (6-10), C (11-20), D (21-30), E (31-40), F (41 and more). */
  rank: string;
}

export interface ComplexityReport {
  /** Whole-module cyclomatic complexity, the figure radon's MI uses. */
  cc_total: number;
  /** Mean over `cc_blocks`; 0 when there are none. */
  cc_mean: number;
  cc_max: number;
  cc_blocks: ComplexityBlock[];
}

export interface HalsteadFigures {
  h1: number;
  h2: number;
  N1: number;
  N2: number;
  vocabulary: number;
  length: number;
  calculated_length: number;
  volume: number;
  difficulty: number;
  effort: number;
  time: number;
  bugs: number;
}

export interface RawCounts {
  loc: number;
  lloc: number;
  sloc: number;
  comments: number;
  multi: number;
  blank: number;
  single_comments: number;
}

/** Every metric of one program. Figures are null when the program does not parse. */
export interface CodeMetrics {
  /** Characters (code points) of the program after line-end normalization. */
  characters: number;
  /** Lines that contain something besides whitespace. */
  lines: number;
  syntax: SyntaxVerdict;
  /** The function the first assert calls (the first non-builtin one, else the first); null when it calls none. */
  called_function: string | null;
  /** Whether the program defines `called_function` at top level; null when unknown. */
  name_match: boolean | null;
  complexity: ComplexityReport | null;
  halstead: { total: HalsteadFigures; functions: (HalsteadFigures & { name: string })[] } | null;
  raw: RawCounts | null;
  mi: number | null;
  /** Reason, by figure name, for each figure that is null although the syntax is valid. */
  errors: Record<string, string>;
}

/** Result of the helper's `extract` operation; null from the helper when the code does not parse. */
export interface AstExtraction {
  program: string;
  /** Node types of the top-level statements that were dropped. */
  dropped: string[];
}
