// `nir report RUN_FOLDER [RUN_FOLDER_B] [--out FILE.html]`: writes the self-contained HTML report.

import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { writeReport } from '../../report/index.js';
import { InputError } from '../../util/errors.js';

const HELP = `usage: nir report RUN_FOLDER [RUN_FOLDER_B] [--out FILE.html]

Writes one self-contained HTML file (inline CSS, script and SVG charts; it loads nothing when
opened) with the per-variant summary and 95% CIs, plots against integration depth, the
syntax/length trade-off, a per-task browser, CRV statistics and provenance.
With RUN_FOLDER_B it compares the two runs: per metric and variant, A, B and B - A.

options:
  --out FILE.html   output file (default: RUN_FOLDER/report.html, or
                    RUN_FOLDER/compare-<name of RUN_FOLDER_B>.html for a comparison)
  -h, --help        show this help`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new InputError(`nir report: ${(error as Error).message}`, { hint: 'run `nir report --help`' });
  }
  if (parsed.values.help) {
    console.log(HELP);
    return 0;
  }
  const dirs = parsed.positionals;
  if (dirs.length < 1 || dirs.length > 2) {
    console.error(`nir report: expected one or two run folders, got ${dirs.length}\n\n${HELP}`);
    return 2;
  }
  const out = parsed.values.out ?? (dirs.length === 1 ? join(dirs[0], 'report.html') : join(dirs[0], `compare-${basename(resolve(dirs[1]))}.html`));
  const bytes = await writeReport(dirs, out);
  console.log(`wrote ${out} (${(bytes / 1024).toFixed(0)} KiB)`);
  return 0;
}
