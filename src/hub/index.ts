// Public entry points of the hub module.

export { resolveModelSpec, DEFAULT_ENDPOINT, type ResolveOptions } from './resolve.js';
export { parseHubSpec, isHubSpec, formatHubSpec, type HubSpec } from './spec.js';
export { hubCacheDir } from './cache.js';
export { HubError } from './errors.js';
export { createProgressBar, formatProgressLine, formatBytes } from './progress.js';
export type { DownloadProgress } from './download.js';
