// The standard Hugging Face hub cache, shared with huggingface_hub (Python) and @huggingface/hub:
//   <cache>/models--org--name/blobs/<etag>                  file contents, named by LFS sha256 or git blob sha1
//   <cache>/models--org--name/snapshots/<commit>/<path>     relative symlink to ../../blobs/<etag>
//   <cache>/models--org--name/refs/<revision>               commit hash the revision pointed to

import { copyFile, lstat, mkdir, readFile, rename, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const COMMIT_HASH = /^[0-9a-f]{40}$/;

export function isCommitHash(revision: string): boolean {
  return COMMIT_HASH.test(revision);
}

/** Returns the hub cache folder: HF_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

/** Paths of one model repository inside the cache. */
export class RepoCache {
  readonly root: string;

  constructor(
    readonly cacheDir: string,
    readonly repo: string,
  ) {
    this.root = join(cacheDir, `models--${repo.split('/').join('--')}`);
  }

  blobPath(etag: string): string {
    return join(this.root, 'blobs', etag);
  }

  /** Partial download of a blob, named as huggingface_hub names it so either tool can continue it. */
  partialBlobPath(etag: string): string {
    return `${this.blobPath(etag)}.incomplete`;
  }

  snapshotDir(commit: string): string {
    return join(this.root, 'snapshots', commit);
  }

  snapshotFile(commit: string, file: string): string {
    return join(this.snapshotDir(commit), ...file.split('/'));
  }

  refPath(revision: string): string {
    return join(this.root, 'refs', ...revision.split('/'));
  }

  /** Returns the commit a revision resolves to in the cache, or undefined when the cache has no ref for it. */
  async readRef(revision: string): Promise<string | undefined> {
    if (isCommitHash(revision)) return revision;
    let text: string;
    try {
      text = await readFile(this.refPath(revision), 'utf8');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const commit = text.trim();
    return isCommitHash(commit) ? commit : undefined;
  }

  async writeRef(revision: string, commit: string): Promise<void> {
    if (revision === commit) return;
    const path = this.refPath(revision);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, commit);
  }

  /** Links snapshots/<commit>/<file> to the blob with a relative symlink, or a copy where symlinks are not allowed. */
  async linkSnapshotFile(commit: string, file: string, etag: string): Promise<string> {
    const target = this.snapshotFile(commit, file);
    const blob = this.blobPath(etag);
    await mkdir(dirname(target), { recursive: true });
    if (await lstatOrUndefined(target)) await unlink(target);
    try {
      await symlink(relative(dirname(target), blob), target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP') throw error;
      const staging = `${target}.copying`;
      await copyFile(blob, staging);
      await rename(staging, target);
    }
    return target;
  }
}

/** Returns the size of a regular file (following symlinks), or undefined when it does not exist. */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

async function lstatOrUndefined(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
