// Named sections of a reasoning text, for CRVs built from part of the reasoning.
//
// A section starts at a line holding its heading ("Plan:", "## Edge cases", "**Draft**:") and runs
// to the next heading of a known section or the end. Matching is case-insensitive.

export const SECTION_NAMES = ['problem', 'edge cases', 'plan', 'draft'] as const;

const HEADING = /^\s*(?:#{1,6}\s*)?(?:\*\*)?\s*(?:\d+[.)]\s*)?([A-Za-z][A-Za-z ]{1,40}?)\s*(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$/;
const INLINE_HEADING = /^\s*(?:#{1,6}\s*)?(?:\*\*)?\s*(?:\d+[.)]\s*)?([A-Za-z][A-Za-z ]{1,40}?)\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*)$/;

function canonical(name: string): string | null {
  const lower = name.toLowerCase().trim();
  if (/^(problem|restatement|understanding|task)/.test(lower)) return 'problem';
  if (/^edge/.test(lower)) return 'edge cases';
  if (/^(plan|steps|approach|algorithm)/.test(lower)) return 'plan';
  if (/^(draft|solution|code)/.test(lower)) return 'draft';
  return null;
}

/** Splits reasoning into known sections; text before the first heading is left out. */
export function splitSections(reasoning: string): Map<string, string> {
  const sections = new Map<string, string[]>();
  let current: string | null = null;
  for (const line of reasoning.split('\n')) {
    const whole = HEADING.exec(line);
    const inline = whole ? null : INLINE_HEADING.exec(line);
    const heading = whole ?? inline;
    const name = heading ? canonical(heading[1]) : null;
    if (name !== null) {
      current = name;
      if (!sections.has(name)) sections.set(name, []);
      if (inline && inline[2].trim() !== '') sections.get(name)!.push(inline[2]);
      continue;
    }
    if (current !== null) sections.get(current)!.push(line);
  }
  const result = new Map<string, string>();
  for (const [name, lines] of sections) {
    const text = lines.join('\n').trim();
    if (text !== '') result.set(name, text);
  }
  return result;
}

/** Returns the CRV source text: the whole reasoning, or the named sections joined in the order given. */
export function selectSource(reasoning: string, sections: readonly string[] | 'all'): string {
  if (sections === 'all') return reasoning;
  const found = splitSections(reasoning);
  return sections
    .map((name) => found.get(name))
    .filter((text): text is string => text !== undefined)
    .join('\n\n');
}
