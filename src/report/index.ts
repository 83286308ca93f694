// buildReport / writeReport: the self-contained HTML report of one run folder, or of two compared.

import { readFile, writeFile } from 'node:fs/promises';

import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { renderReportPage } from './page.js';
import { loadRunFolder } from './run-folder.js';

export { loadRunFolder, type RunData } from './run-folder.js';
export { formatNumber } from './format.js';

/** Returns the version in the package.json next to the compiled sources, or `unknown`. */
async function toolVersion(): Promise<string> {
  for (const relative of ['../../../package.json', '../../package.json']) {
    try {
      const parsed = JSON.parse(await readFile(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (parsed.name === 'nir-toolkit' && parsed.version) return parsed.version;
    } catch {
      // The compiled file sits one folder deeper than its source, so the next depth is tried.
    }
  }
  return 'unknown';
}

/** Builds the page for one run folder, or two for a comparison. */
export async function buildReport(dirs: string[]): Promise<string> {
  if (dirs.length < 1 || dirs.length > 2) {
    throw new InputError(`a report takes one or two run folders, got ${dirs.length}`, { expected: 'RUN_FOLDER [RUN_FOLDER_B]', found: dirs.join(' ') });
  }
  const runs = [];
  for (const dir of dirs) runs.push(await loadRunFolder(dir));
  return renderReportPage(runs, { toolVersion: await toolVersion(), builtAt: new Date().toISOString() });
}

/** Builds the page and writes it to `outPath`. Returns its size in bytes. */
export async function writeReport(dirs: string[], outPath: string): Promise<number> {
  const html = await buildReport(dirs);
  await writeFile(outPath, html);
  const bytes = Buffer.byteLength(html);
  log.debug(`wrote ${outPath} (${bytes} bytes)`);
  return bytes;
}
