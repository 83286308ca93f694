// resolveModelSpec: turns every command's `--model` value into a local path, downloading
// `hf:org/name[@revision][:file]` into the standard Hugging Face cache when needed.

import { statfs, stat } from 'node:fs/promises';

import { InputError } from '../util/errors.js';
import { log } from '../util/log.js';
import { connectToHub, fetchCommit, fetchFileTree, type HubConnection, type RepoFile } from './api.js';
import { fileSize, hubCacheDir, isCommitHash, isMissing, RepoCache } from './cache.js';
import { downloadBlob, type DownloadProgress } from './download.js';
import { HubError } from './errors.js';
import { CONFIG_FILE, ggufFiles, listSnapshot, OPTIONAL_FOLDER_FILES, pickFiles, readIndexShards, rootSafetensors, SAFETENSORS_INDEX } from './select.js';
import { formatHubSpec, isHubSpec, parseHubSpec, type HubSpec } from './spec.js';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface ResolveOptions {
  /** Hub endpoint; default HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token for gated and private models; default HF_TOKEN. */
  token?: string;
  /** Resolve from the cache only; default true when HF_HUB_OFFLINE is 1, true, yes or on. */
  offline?: boolean;
  /** Hub cache folder; default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Called as file downloads progress, because the library itself never prints. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Attempts per file before an interrupted download is given up (default 3). */
  maxAttempts?: number;
  /** Milliseconds without data after which a download counts as interrupted (default 60000). */
  stallTimeoutMs?: number;
  /** Environment read for the defaults above; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Returns a local path for a model spec: a GGUF file or Hugging Face folder path as given
 * (after checking it exists), or for `hf:` specs the snapshot file or folder in the cache.
 */
export async function resolveModelSpec(spec: string, options: ResolveOptions = {}): Promise<string> {
  if (!isHubSpec(spec)) return checkLocalPath(spec);

  const env = options.env ?? process.env;
  const hubSpec = parseHubSpec(spec);
  const cache = new RepoCache(options.cacheDir ?? hubCacheDir(env), hubSpec.repo);
  const offline = options.offline ?? /^(1|true|yes|on)$/i.test(env.HF_HUB_OFFLINE ?? '');
  if (offline) return resolveFromCache(hubSpec, cache, 'HF_HUB_OFFLINE is set');

  // A commit hash names fixed contents, so a complete cached snapshot needs no request.
  if (isCommitHash(hubSpec.revision)) {
    try {
      return await resolveFromCache(hubSpec, cache, 'pinned commit');
    } catch (error) {
      if (!(error instanceof HubError)) throw error;
    }
  }

  const endpoint = options.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_ENDPOINT;
  const hub = connectToHub(endpoint, options.token ?? (env.HF_TOKEN || undefined));
  let commit: string;
  try {
    commit = await fetchCommit(hub, hubSpec.repo, hubSpec.revision);
  } catch (error) {
    if (error instanceof HubError || error instanceof InputError) throw error;
    // The hub cannot be reached, so the cache is used, as huggingface_hub (Python) does on connection errors.
    log.warn(`cannot reach ${endpoint} (${describeNetworkError(error)}), so ${spec} is taken from the cache`);
    return resolveFromCache(hubSpec, cache, `${endpoint} cannot be reached`);
  }
  return downloadSnapshot(hubSpec, commit, cache, hub, options);
}

async function checkLocalPath(path: string): Promise<string> {
  try {
    await stat(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
    throw new InputError(`model path not found: ${path}: no such file or folder (expected a GGUF file, a Hugging Face model folder or hf:org/name)`, {
      source: path,
      expected: 'a GGUF file, a Hugging Face model folder or hf:org/name[@revision][:file]',
      found: 'no such file or folder',
    });
  }
  return path;
}

async function downloadSnapshot(spec: HubSpec, commit: string, cache: RepoCache, hub: HubConnection, options: ResolveOptions): Promise<string> {
  const tree = await fetchFileTree(hub, spec.repo, commit);
  const paths = tree.map((file) => file.path);
  const fetchFiles = (files: RepoFile[]) => ensureFiles(files, spec, commit, cache, hub, options);

  if (spec.file !== undefined) {
    const [file] = pickFiles(tree, [spec.file]);
    if (!file) {
      const gguf = ggufFiles(paths);
      throw new HubError(
        `file ${spec.file} not found in ${spec.repo} at revision '${spec.revision}'`,
        spec.repo,
        404,
        gguf.length ? `GGUF files in the repository: ${gguf.join(', ')}` : 'The repository has no GGUF file',
      );
    }
    await fetchFiles([file]);
    await cache.writeRef(spec.revision, commit);
    return cache.snapshotFile(commit, spec.file);
  }

  const config = pickFiles(tree, [CONFIG_FILE]);
  let weights = rootSafetensors(paths);
  const index = pickFiles(tree, [SAFETENSORS_INDEX]);
  if (index.length) {
    await fetchFiles(index);
    weights = await readIndexShards(cache.snapshotFile(commit, SAFETENSORS_INDEX));
    const absent = weights.filter((shard) => !paths.includes(shard));
    if (absent.length) {
      throw new HubError(`${SAFETENSORS_INDEX} of ${spec.repo} names shards that are not in the repository: ${absent.join(', ')}`, spec.repo);
    }
  }
  if (!config.length || !weights.length) {
    const gguf = ggufFiles(paths);
    const missing = [config.length ? '' : CONFIG_FILE, weights.length ? '' : '*.safetensors'].filter(Boolean).join(' and ');
    const hint = gguf.length
      ? `It has GGUF files; choose one with ${formatHubSpec({ ...spec, file: gguf[0] })} (all: ${gguf.join(', ')})`
      : 'Choose a repository with a Llama-family model in safetensors or GGUF format';
    throw new HubError(`${spec.repo} at revision '${spec.revision}' is not a Hugging Face model folder: it has no ${missing}`, spec.repo, undefined, hint);
  }
  await fetchFiles(pickFiles(tree, [CONFIG_FILE, ...OPTIONAL_FOLDER_FILES, ...weights]));
  await cache.writeRef(spec.revision, commit);
  return cache.snapshotDir(commit);
}

/** Makes each file present in the snapshot, reusing blobs already in the cache and downloading the rest. */
async function ensureFiles(files: RepoFile[], spec: HubSpec, commit: string, cache: RepoCache, hub: HubConnection, options: ResolveOptions): Promise<void> {
  const needed: RepoFile[] = [];
  for (const file of files) {
    if ((await fileSize(cache.blobPath(file.etag))) === file.size) {
      if ((await fileSize(cache.snapshotFile(commit, file.path))) !== file.size) await cache.linkSnapshotFile(commit, file.path, file.etag);
      log.debug(`${spec.repo}/${file.path}: found in the cache`);
    } else {
      needed.push(file);
    }
  }
  await checkFreeSpace(needed, cache);

  for (const file of needed) {
    log.info(`downloading ${spec.repo}/${file.path} (${file.size} bytes) at ${commit}`);
    await downloadBlob({
      hub,
      repo: spec.repo,
      commit,
      file,
      blobPath: cache.blobPath(file.etag),
      partialPath: cache.partialBlobPath(file.etag),
      onProgress: options.onProgress,
      maxAttempts: options.maxAttempts ?? 3,
      stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
    });
    await cache.linkSnapshotFile(commit, file.path, file.etag);
  }
}

/** Rejects a download that cannot fit on the cache's file system before any byte is written. */
async function checkFreeSpace(files: RepoFile[], cache: RepoCache): Promise<void> {
  if (!files.length) return;
  let needed = 0;
  for (const file of files) needed += file.size - ((await fileSize(cache.partialBlobPath(file.etag))) ?? 0);
  let free: number;
  try {
    const info = await statfs(await existingAncestor(cache.root));
    free = info.bavail * info.bsize;
  } catch (error) {
    log.debug(`cannot read free space of ${cache.root}: ${(error as Error).message}`);
    return;
  }
  if (needed > free) {
    throw new HubError(`not enough disk space in ${cache.cacheDir}: the download needs ${needed} bytes, ${free} are free`, cache.repo, undefined, 'Free some space or set HF_HUB_CACHE to a larger disk');
  }
}

async function existingAncestor(path: string): Promise<string> {
  let current = path;
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch (error) {
      if (!isMissing(error)) throw error;
      const parent = current.replace(/\/[^/]*$/, '') || '/';
      if (parent === current) return current;
      current = parent;
    }
  }
}

/** Resolves a spec from the cache alone; the error lists what is missing. */
async function resolveFromCache(spec: HubSpec, cache: RepoCache, reason: string): Promise<string> {
  const name = formatHubSpec(spec);
  const hint = 'Run once with network access (without HF_HUB_OFFLINE=1) to download it';
  const commit = await cache.readRef(spec.revision);
  if (!commit) {
    throw new HubError(`${name} is not in the cache (${reason}): no ref '${spec.revision}' under ${cache.root}`, spec.repo, undefined, hint);
  }

  if (spec.file !== undefined) {
    const path = cache.snapshotFile(commit, spec.file);
    if ((await fileSize(path)) === undefined) {
      throw new HubError(`${name} is not in the cache (${reason}): missing ${path}`, spec.repo, undefined, hint);
    }
    return path;
  }

  const dir = cache.snapshotDir(commit);
  let present: string[];
  try {
    present = await listSnapshot(dir);
  } catch (error) {
    if (!isMissing(error)) throw error;
    present = [];
  }
  const existing = new Set<string>();
  for (const path of present) if ((await fileSize(cache.snapshotFile(commit, path))) !== undefined) existing.add(path);

  let weights = rootSafetensors([...existing]);
  if (existing.has(SAFETENSORS_INDEX)) weights = await readIndexShards(cache.snapshotFile(commit, SAFETENSORS_INDEX));
  const missing = [CONFIG_FILE, ...weights].filter((path) => !existing.has(path));
  if (!weights.length) missing.push('*.safetensors');
  if (missing.length) {
    throw new HubError(`${name} is not complete in the cache (${reason}): ${dir} lacks ${missing.join(', ')}`, spec.repo, undefined, hint);
  }
  return dir;
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error as Error).message ?? String(error);
}
