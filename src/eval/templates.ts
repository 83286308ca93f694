// Prompt templates of the two stages. A template is plain text with {{name}} placeholders.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../util/errors.js';

/** Folder of the templates shipped with the package (prompts/ at the package root). */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL('../../../prompts/', import.meta.url));

export function loadTemplate(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read prompt template ${path}: ${(error as Error).message}`);
  }
}

/** Replaces each {{name}} with values[name]; an unknown placeholder is an error naming it. */
export function renderTemplate(template: string, values: Record<string, string>, source = 'template'): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_match, name: string) => {
    if (!(name in values)) {
      throw new InputError(`${source}: unknown placeholder {{${name}}}; known placeholders: ${Object.keys(values).map((k) => `{{${k}}}`).join(', ')}`);
    }
    return values[name];
  });
}
