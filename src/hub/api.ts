// Hub API calls through @huggingface/hub: the commit a revision points to and the repository's file tree.

import { HubApiError, listFiles, modelInfo } from '@huggingface/hub';

import { HubError, hubStatusError } from './errors.js';

export interface HubConnection {
  /** Endpoint without a trailing slash, e.g. https://huggingface.co. */
  endpoint: string;
  /** fetch that adds the Authorization header when a token is set. */
  fetch: typeof fetch;
}

/** One file of a repository tree, with the ETag that names its blob in the cache. */
export interface RepoFile {
  path: string;
  /** Size in bytes of the file contents (the LFS object for LFS files). */
  size: number;
  /** LFS sha256 for LFS files, git blob sha1 otherwise: the ETag the hub sends for the file. */
  etag: string;
  /** Algorithm that produced `etag` from the contents, used to verify a download. */
  hash: 'sha256' | 'git-sha1';
}

/** Builds a fetch that sends `Authorization: Bearer <token>` to the endpoint's origin only. */
export function connectToHub(endpoint: string, token: string | undefined): HubConnection {
  const origin = new URL(endpoint).origin;
  const authorizedFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    const headers = new Headers(init?.headers);
    if (token && url.origin === origin) headers.set('Authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };
  return { endpoint: endpoint.replace(/\/+$/, ''), fetch: authorizedFetch };
}

/** Returns the commit hash that `revision` points to. */
export async function fetchCommit(hub: HubConnection, repo: string, revision: string): Promise<string> {
  try {
    const info = await modelInfo({ name: repo, revision, hubUrl: hub.endpoint, fetch: hub.fetch, additionalFields: ['sha'] });
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) {
      throw new HubError(`the hub returned an invalid commit hash ${JSON.stringify(sha)} for ${repo} at revision '${revision}'`, repo);
    }
    return sha;
  } catch (error) {
    throw translateApiError(error, repo, `repository ${repo} at revision '${revision}'`, hub.endpoint);
  }
}

/** Lists every file of the repository at `commit`. */
export async function fetchFileTree(hub: HubConnection, repo: string, commit: string): Promise<RepoFile[]> {
  const files: RepoFile[] = [];
  try {
    for await (const entry of listFiles({ repo, revision: commit, recursive: true, hubUrl: hub.endpoint, fetch: hub.fetch })) {
      if (entry.type !== 'file') continue;
      if (entry.lfs) files.push({ path: entry.path, size: entry.lfs.size, etag: entry.lfs.oid, hash: 'sha256' });
      else if (entry.oid) files.push({ path: entry.path, size: entry.size, etag: entry.oid, hash: 'git-sha1' });
    }
  } catch (error) {
    throw translateApiError(error, repo, `the file list of ${repo} at ${commit}`, hub.endpoint);
  }
  return files;
}

function translateApiError(error: unknown, repo: string, resource: string, endpoint: string): unknown {
  if (error instanceof HubApiError) return hubStatusError(repo, error.statusCode, resource, endpoint);
  return error;
}
