// Download of one file into a cache blob. A partial blob continues with an HTTP Range request.
// Redirects are followed here, so the token goes to the hub's origin only. The contents are
// checked against the ETag before the blob gets its final name.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, truncate, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

import { log } from '../util/log.js';
import type { HubConnection, RepoFile } from './api.js';
import { fileSize } from './cache.js';
import { HubError, hubStatusError } from './errors.js';

/** Progress of one file download, sent to the caller's callback. */
export interface DownloadProgress {
  file: string;
  /** Bytes of the file now on disk, including those of an earlier, interrupted download. */
  bytesDone: number;
  bytesTotal: number;
  /** Bytes that were already on disk when this download started. */
  bytesResumed: number;
  done: boolean;
}

export interface BlobDownload {
  hub: HubConnection;
  repo: string;
  /** Commit the URL is pinned to, so that every file comes from the same snapshot. */
  commit: string;
  file: RepoFile;
  blobPath: string;
  partialPath: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Attempts before giving up. Each one continues from the bytes already on disk. */
  maxAttempts: number;
  /** A response that sends no byte for this long is aborted and counts as an interruption. */
  stallTimeoutMs: number;
}

const MAX_REDIRECTS = 10;
const PROGRESS_INTERVAL_MS = 100;

/** Downloads `file` to `blobPath`, continuing from `partialPath` when an earlier attempt left one. */
export async function downloadBlob(job: BlobDownload): Promise<void> {
  await mkdir(dirname(job.blobPath), { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= job.maxAttempts; attempt++) {
    try {
      await downloadAttempt(job);
      return;
    } catch (error) {
      if (!(error instanceof InterruptedDownload)) throw error;
      lastError = error;
      log.warn(`${job.repo}/${job.file.path}: ${error.message} (attempt ${attempt} of ${job.maxAttempts})`);
    }
  }
  const onDisk = (await fileSize(job.partialPath)) ?? 0;
  throw new HubError(
    `download of ${job.file.path} from ${job.repo} was interrupted after ${onDisk} of ${job.file.size} bytes (${(lastError as Error).message})`,
    job.repo,
    undefined,
    'Run the same command again to resume from the partial file',
  );
}

/** A network failure after which the download can continue from the bytes on disk. */
class InterruptedDownload extends Error {}

async function downloadAttempt(job: BlobDownload): Promise<void> {
  const { file } = job;
  let offset = (await fileSize(job.partialPath)) ?? 0;
  if (offset > file.size) {
    log.warn(`${job.partialPath}: partial file has ${offset} bytes, more than the ${file.size} expected, so the download starts over`);
    await unlink(job.partialPath);
    offset = 0;
  }

  const hash = await startHash(file, job.partialPath, offset);
  if (offset < file.size) {
    const response = await requestFile(job, offset);
    if (response.status === 200 && offset > 0) {
      log.warn(`${job.repo}/${file.path}: the server ignored the Range request, so the download starts from byte 0`);
      await truncate(job.partialPath, 0);
      return downloadAttempt(job);
    }
    await appendBody(job, response, offset, hash);
  }
  await finishBlob(job, hash, offset);
}

/** Starts the hash of the contents, feeding it the bytes already on disk. */
async function startHash(file: RepoFile, partialPath: string, offset: number): Promise<Hash> {
  const hash = createHash(file.hash === 'sha256' ? 'sha256' : 'sha1');
  if (file.hash === 'git-sha1') hash.update(`blob ${file.size}\0`);
  if (offset > 0) {
    for await (const chunk of createReadStream(partialPath, { end: offset - 1 })) hash.update(chunk as Buffer);
  }
  return hash;
}

/** Sends the GET for the file from `offset` and follows redirects. Returns a 200 or 206 response. */
async function requestFile(job: BlobDownload, offset: number): Promise<Response> {
  let url = `${job.hub.endpoint}/${job.repo}/resolve/${job.commit}/${job.file.path.split('/').map(encodeURIComponent).join('/')}`;
  for (let redirects = 0; redirects <= MAX_REDIRECTS; redirects++) {
    const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
    if (offset > 0) headers.Range = `bytes=${offset}-`;
    let response: Response;
    try {
      response = await job.hub.fetch(url, { headers, redirect: 'manual' });
    } catch (error) {
      throw new InterruptedDownload(`request to ${url} failed: ${describe(error)}`);
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url).toString();
      continue;
    }
    if (response.status === 200 || response.status === 206) return response;
    await response.body?.cancel();
    if (response.status === 416) {
      log.warn(`${job.repo}/${job.file.path}: the server rejected the range from byte ${offset} (HTTP 416), so the download starts over`);
      await unlink(job.partialPath);
      return requestFile(job, 0);
    }
    if (response.status >= 500 || response.status === 429) throw new InterruptedDownload(`HTTP ${response.status} from ${url}`);
    throw hubStatusError(job.repo, response.status, `file ${job.file.path} at ${job.commit}`, job.hub.endpoint);
  }
  throw new HubError(`more than ${MAX_REDIRECTS} redirects while downloading ${job.file.path}`, job.repo);
}

/** Appends the response body to the partial file, hashing and reporting progress as bytes arrive. */
async function appendBody(job: BlobDownload, response: Response, offset: number, hash: Hash): Promise<void> {
  const { file } = job;
  if (response.status === 206) {
    const start = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1];
    if (Number(start) !== offset) {
      await response.body?.cancel();
      throw new HubError(`invalid Content-Range '${response.headers.get('content-range')}' in the response to a request for ${file.path} from byte ${offset}`, job.repo);
    }
  }
  if (!response.body) throw new InterruptedDownload('response has no body');

  // NOTE: there is no lock file, so two processes that download the same blob at once write the same partial file.
  const handle = await open(job.partialPath, offset > 0 ? 'a' : 'w');
  const reader = response.body.getReader();
  let done = offset;
  let lastReport = 0;
  let stalled = false;
  let timer = setTimeout(onStall, job.stallTimeoutMs);
  function onStall(): void {
    stalled = true;
    void reader.cancel();
  }
  job.onProgress?.({ file: file.path, bytesDone: done, bytesTotal: file.size, bytesResumed: offset, done: false });
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new InterruptedDownload(`connection lost after ${done} of ${file.size} bytes: ${describe(error)}`);
      }
      if (stalled) throw new InterruptedDownload(`no data for ${job.stallTimeoutMs} ms after ${done} of ${file.size} bytes`);
      if (chunk.done) break;
      clearTimeout(timer);
      timer = setTimeout(onStall, job.stallTimeoutMs);
      if (done + chunk.value.length > file.size) {
        throw new HubError(`the server sent more than the ${file.size} bytes listed for ${file.path}`, job.repo);
      }
      await handle.write(chunk.value);
      hash.update(chunk.value);
      done += chunk.value.length;
      const now = Date.now();
      if (now - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = now;
        job.onProgress?.({ file: file.path, bytesDone: done, bytesTotal: file.size, bytesResumed: offset, done: false });
      }
    }
  } finally {
    clearTimeout(timer);
    await handle.close();
  }
  if (done < file.size) throw new InterruptedDownload(`connection closed after ${done} of ${file.size} bytes`);
}

/** Checks the hash against the ETag and gives the blob its final name. A mismatch deletes the partial file. */
async function finishBlob(job: BlobDownload, hash: Hash, resumed: number): Promise<void> {
  const digest = hash.digest('hex');
  if (digest !== job.file.etag) {
    await unlink(job.partialPath);
    throw new HubError(
      `downloaded ${job.file.path} does not match its ${job.file.hash} ${job.file.etag} (found ${digest}), so the partial file was deleted`,
      job.repo,
      undefined,
      'Run again to download it anew',
    );
  }
  await rename(job.partialPath, job.blobPath);
  job.onProgress?.({ file: job.file.path, bytesDone: job.file.size, bytesTotal: job.file.size, bytesResumed: resumed, done: true });
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}
