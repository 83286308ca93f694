// Extraction of the program to test from a model reply: markers, fenced blocks or bare code,
// then Python's ast keeps imports, definitions and the assignments they need.

import { log } from '../util/log.js';

export interface Extraction {
  /** The program to test; empty when nothing could be extracted. */
  program: string;
  found: boolean;
  /** Source of the code in the reply: markers, fenced blocks, bare code, or none. */
  method: 'markers' | 'fenced' | 'bare' | 'none';
  /** True when Python's ast filtered the code; false when the text rules did, because it does not parse. */
  parsed: boolean;
  /** Fenced blocks found in the reply (0 for markers and bare code). */
  blocks: number;
}

/** The subset of the metrics helper that extraction needs. */
export interface AstFilter {
  extract(code: string): Promise<{ program: string; dropped: string[] } | null>;
}

interface Candidate {
  code: string;
  method: Extraction['method'];
  blocks: number;
}

const PYTHON_TAGS = new Set(['', 'python', 'py', 'python3', 'py3']);
const DEFINITION_LINE = /^\s*(?:async\s+def|def|class|import|from\s+\S+\s+import)\b/m;

/** A fenced block; `closed` is false for a block the reply ends inside. */
interface FencedBlock {
  tag: string;
  code: string;
  closed: boolean;
}

/** Finds fenced blocks (``` or ~~~, with or without a language tag); an unclosed last block runs to the end. */
export function findFencedBlocks(text: string): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  const lines = text.split('\n');
  let open: { fence: string; tag: string; body: string[] } | undefined;
  for (const line of lines) {
    const fence = /^\s*(`{3,}|~{3,})\s*([\w+.-]*)/.exec(line);
    if (open === undefined) {
      if (fence !== null) open = { fence: fence[1], tag: fence[2].toLowerCase(), body: [] };
    } else if (fence !== null && fence[1][0] === open.fence[0] && fence[1].length >= open.fence.length && fence[2] === '') {
      blocks.push({ tag: open.tag, code: open.body.join('\n'), closed: true });
      open = undefined;
    } else {
      open.body.push(line);
    }
  }
  if (open !== undefined) blocks.push({ tag: open.tag, code: open.body.join('\n'), closed: false });
  return blocks;
}

/** Returns the text between [BEGIN] and [DONE] (or the end of the reply), or undefined without [BEGIN]. */
export function findMarkedCode(text: string): string | undefined {
  const begin = text.indexOf('[BEGIN]');
  if (begin < 0) return undefined;
  const start = begin + '[BEGIN]'.length;
  const done = text.indexOf('[DONE]', start);
  let code = text.slice(start, done < 0 ? undefined : done);
  // Few-shot prompts sometimes quote the code: [BEGIN] 'def f(): ...' [DONE].
  code = code.trim().replace(/^'''|'''$/g, '').replace(/^'([\s\S]*)'$/, '$1');
  return code;
}

const CODE_START = /^(?:async\s+def|def|class|import|from\s+[\w.]+\s+import|@)[\s\w]/;
// Unindented lines that continue code: keywords, assignments (also tuple targets), calls, subscripts, closers.
const CODE_LINE =
  /^(?:[#@)\]}]|(?:async|def|class|import|from|if|elif|else|for|while|try|except|finally|with|return|print|assert|raise|pass|global)\b|[A-Za-z_][\w.]*\s*(?:=|\(|\[|[-+*/%]=)|[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+\s*=)/;

const ASSIGNMENT_LINE = /^[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*=[^=]/;

/**
 * Takes bare code from the first definition line until the first unindented line that reads as prose.
 * Assignments and comments right above that line are included, since constants often precede the function.
 */
export function findBareCode(text: string): string | undefined {
  const lines = text.split('\n');
  let first = lines.findIndex((line) => CODE_START.test(line));
  if (first < 0) return undefined;
  while (first > 0 && (ASSIGNMENT_LINE.test(lines[first - 1]) || lines[first - 1].startsWith('#'))) first--;
  const codeLines: string[] = [];
  for (const line of lines.slice(first)) {
    const unindented = line.length > 0 && !/^\s/.test(line);
    if (unindented && !CODE_LINE.test(line)) break;
    codeLines.push(line);
  }
  return codeLines.join('\n');
}

/** Picks the code to test from a reply; pure text work, no parsing. */
export function findCandidate(reply: string): Candidate {
  const text = reply.replace(/\r\n?/g, '\n');
  const marked = findMarkedCode(text);
  if (marked !== undefined) {
    const inner = findFencedBlocks(marked);
    const code = inner.length > 0 ? joinBlocks(inner) : marked;
    return { code, method: 'markers', blocks: inner.length };
  }
  const blocks = findFencedBlocks(text);
  if (blocks.length > 0) return { code: joinBlocks(blocks), method: 'fenced', blocks: blocks.length };
  const bare = findBareCode(text);
  if (bare !== undefined) return { code: bare, method: 'bare', blocks: 0 };
  return { code: '', method: 'none', blocks: 0 };
}

/** Joins the Python blocks that define something; other blocks (output, usage, shell) are left out. */
function joinBlocks(blocks: FencedBlock[]): string {
  let chosen = blocks.filter((block) => PYTHON_TAGS.has(block.tag));
  if (chosen.length === 0) chosen = blocks;
  const defining = chosen.filter((block) => DEFINITION_LINE.test(block.code));
  if (defining.length > 0) chosen = defining;
  return chosen.map((block) => block.code).join('\n\n');
}

const TOP_LEVEL_NOISE = /^(?:print\s*\(|assert\b|if\s+__name__\s*==)/;

/** Text rules for code that does not parse: drop unindented prints, asserts, calls and the main guard. */
export function filterByText(code: string): string {
  const defined = new Set([...code.matchAll(/^(?:async\s+)?(?:def|class)\s+(\w+)/gm)].map((match) => match[1]));
  const keptLines: string[] = [];
  let skippingBlock = false;
  for (const line of code.split('\n')) {
    const unindented = line.length > 0 && !/^\s/.test(line);
    if (unindented) {
      const call = /^(\w+)\s*\(/.exec(line);
      skippingBlock = TOP_LEVEL_NOISE.test(line) || (call !== null && defined.has(call[1]));
    }
    if (!skippingBlock) keptLines.push(line);
  }
  return keptLines.join('\n').trim();
}

/** Extracts the program to test from a model reply. */
export async function extractProgram(reply: string, filter: AstFilter): Promise<Extraction> {
  const candidate = findCandidate(reply);
  if (candidate.method === 'bare') {
    // A reply that is entirely Python (no fences, no prose) is taken whole.
    const whole = await filter.extract(reply);
    if (whole !== null && whole.program.trim() !== '') {
      return { program: whole.program, found: true, method: 'bare', parsed: true, blocks: 0 };
    }
  }
  if (candidate.code.trim() === '') {
    return { program: '', found: false, method: 'none', parsed: false, blocks: candidate.blocks };
  }
  let filtered: { program: string; dropped: string[] } | null;
  try {
    filtered = await filter.extract(candidate.code);
  } catch (error) {
    log.warn(`ast extraction failed, so text rules are used instead: ${(error as Error).message}`);
    filtered = null;
  }
  const parsed = filtered !== null;
  const program = filtered !== null ? filtered.program : filterByText(candidate.code);
  const found = program.trim() !== '';
  return { program, found, method: found ? candidate.method : 'none', parsed, blocks: candidate.blocks };
}
