// Text progress bar for hub downloads. It returns text for the caller to write (to stderr in
// the command line), because library code never prints.

import type { DownloadProgress } from './download.js';

const BAR_WIDTH = 24;

/** Formats a byte count with binary units, e.g. 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Formats one progress line: file, percentage, bar, bytes and the rate over `elapsedMs`. */
export function formatProgressLine(progress: DownloadProgress, elapsedMs: number): string {
  const fraction = progress.bytesTotal > 0 ? Math.min(1, progress.bytesDone / progress.bytesTotal) : 1;
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
  const rate = elapsedMs > 0 ? ((progress.bytesDone - progress.bytesResumed) * 1000) / elapsedMs : 0;
  const percent = `${(fraction * 100).toFixed(0)}%`.padStart(4);
  const resumed = progress.bytesResumed > 0 ? ` (resumed at ${formatBytes(progress.bytesResumed)})` : '';
  return `${progress.file} ${percent} [${bar}] ${formatBytes(progress.bytesDone)} / ${formatBytes(progress.bytesTotal)} ${formatBytes(Math.round(rate))}/s${resumed}`;
}

/**
 * Returns an onProgress callback that writes a progress bar through `write`. On a terminal the
 * line is redrawn in place; otherwise only each file's finished line is written.
 */
export function createProgressBar(write: (text: string) => void, isTerminal: boolean): (progress: DownloadProgress) => void {
  const started = new Map<string, number>();
  return (progress) => {
    const now = Date.now();
    if (!started.has(progress.file)) started.set(progress.file, now);
    const line = formatProgressLine(progress, now - (started.get(progress.file) ?? now));
    if (isTerminal) write(`\r\x1b[2K${line}${progress.done ? '\n' : ''}`);
    else if (progress.done) write(`${line}\n`);
    if (progress.done) started.delete(progress.file);
  };
}
