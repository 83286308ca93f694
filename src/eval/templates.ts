// Prompt templates of the two stages. A template is plain text with {{name}} placeholders.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InputError } from '../util/errors.js';

/** Folder of the templates shipped with the package (prompts/ at the package root). */
export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL('../../../prompts/', import.meta.url));

/** Reads a template and checks that it uses each of the `required` placeholders. */
export function loadTemplate(path: string, required: readonly string[] = []): string {
  let template: string;
  try {
    template = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read prompt template ${path}: ${(error as Error).message}`);
  }
  for (const name of required) {
    if (!new RegExp(`\\{\\{\\s*${name}\\s*\\}\\}`).test(template)) {
      throw new InputError(`prompt template ${path} has no {{${name}}} placeholder, so every task would get the same prompt`, {
        hint: `add {{${name}}} where the task text goes (placeholders: {{task}}, {{tests}})`,
      });
    }
  }
  return template;
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
