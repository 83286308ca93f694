// Formatting of numbers and text for the page. Every figure goes through formatNumber, so one
// value reads the same in tables, tooltips and the comparison.

/** Formats a figure: integers as they are, |x| >= 100 with one decimal, smaller values with three. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toFixed(3);
}

/** Formats a difference with its sign, e.g. +0.125 or −3.0. */
export function formatDifference(value: number | null): string {
  if (value === null) return '–';
  const text = formatNumber(Math.abs(value));
  if (value > 0) return `+${text}`;
  if (value < 0) return `−${text}`;
  return text;
}

/** Returns the CSS class for a difference's direction: ' up', ' down' or '' for zero and null. */
export function directionClass(difference: number | null): string {
  if (difference === null || difference === 0) return '';
  return difference > 0 ? ' up' : ' down';
}

export function formatInterval(low: number | null, high: number | null): string {
  if (low === null || high === null) return '–';
  return `[${formatNumber(low)}, ${formatNumber(high)}]`;
}

export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}
