// `nir` command line: dispatches to one module per command under src/cli/commands.
// Each command module exports `run(argv: string[]): Promise<number>` returning the exit code.

import { InputError } from '../util/errors.js';

const COMMANDS: Record<string, string> = {
  generate: 'Generate text, optionally with CRVs integrated at chosen layers',
  capture: 'Capture hidden states (a CRV) at a layer and save them as safetensors',
  inspect: 'Print a model file\'s normalized config, tokenizer facts and tensor table',
  bench: 'Measure prefill and decode speed and peak memory, optionally against llama.cpp',
  score: 'Score completions of MBPP tasks: extraction, metrics, sandboxed pass@1',
  eval: 'Run the NIR experiment on MBPP: thinking stage, CRV, generation per depth, scoring',
  report: 'Write the self-contained HTML report of one run folder, or compare two',
};

/** File-system errors that come from a path the user gave, with the plain reason. */
const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder where a file was expected',
  ENOTDIR: 'a part of the path is not a folder',
  EEXIST: 'already exists and is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
};

function usage(): string {
  const lines = ['usage: nir COMMAND [OPTIONS]', '', 'commands:'];
  for (const [name, summary] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${summary}`);
  lines.push('', 'Run `nir COMMAND --help` for the options of one command.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage());
    return command === undefined ? 2 : 0;
  }
  if (!(command in COMMANDS)) {
    console.error(`nir: unknown command '${command}'\n\n${usage()}`);
    return 2;
  }
  const module = (await import(`./commands/${command}.js`)) as { run: (argv: string[]) => Promise<number> };
  return module.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as NodeJS.ErrnoException | null)?.code;
    if (error instanceof InputError) {
      const hint = error.details.hint;
      console.error(`nir: ${error.message}${hint && !error.message.includes(hint) ? `\n  what to do: ${hint}` : ''}`);
      process.exitCode = 2;
    } else if (typeof code === 'string' && FILE_ERRORS[code] !== undefined) {
      // A path from the command line that cannot be used: print it and the reason, without a stack trace.
      const path = (error as NodeJS.ErrnoException).path ?? '';
      console.error(`nir: ${path || 'a path on the command line'}: ${FILE_ERRORS[code]} (${code}); check the path and try again`);
      process.exitCode = 2;
    } else {
      console.error(error);
      process.exitCode = 1;
    }
  },
);
