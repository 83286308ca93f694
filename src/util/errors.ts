// Error classes with fields, so the command line and the report can show what was expected and found.

/** An input (file, option, record) that is invalid: names where, what was expected and what was found. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly details: { source?: string; expected?: string; found?: string; hint?: string } = {},
  ) {
    super(message);
    this.name = 'InputError';
  }
}

/** A model file (GGUF, safetensors, config.json, tokenizer) that cannot be used. */
export class ModelFileError extends InputError {
  constructor(file: string, expected: string, found: string, hint?: string) {
    super(`${file}: expected ${expected}, found ${found}${hint ? ` (${hint})` : ''}`, { source: file, expected, found, hint });
    this.name = 'ModelFileError';
  }
}
