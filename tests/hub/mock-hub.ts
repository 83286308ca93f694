// A mock Hugging Face hub on 127.0.0.1: model info, file tree and resolve routes with ETag,
// X-Repo-Commit, redirects of LFS files to a second "CDN" server, Range requests, gated and
// missing repositories, and connections cut mid-file. It records every request it receives.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockRepo {
  commit: string;
  /** Files by repository path. */
  files: Record<string, Buffer>;
  /** Token the repository requires: requests without it get 401, with another token 403. */
  token?: string;
  /** Require the token for file downloads only, as huggingface.co does for gated models. */
  gateFilesOnly?: boolean;
}

export interface SeenRequest {
  server: 'hub' | 'cdn';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export interface MockHub {
  endpoint: string;
  requests: SeenRequest[];
  repos: Map<string, MockRepo>;
  /**
   * Cuts the connection after this many body bytes, for the next `times` downloads of `path`.
   * With `received`, the cut waits (up to 5 s) until it returns true, so a test can wait for the
   * client to store the bytes: a stream that errors drops the chunks its reader has not taken yet.
   */
  cutFile(path: string, afterBytes: number, times?: number, received?: () => Promise<boolean>): void;
  /** Makes the tree route list `path` with these contents while serving the real ones. */
  corruptFile(path: string, listed: Buffer): void;
  close(): Promise<void>;
}

const LFS_SUFFIXES = ['.safetensors', '.gguf', '.bin'];

export function isLfs(path: string): boolean {
  return LFS_SUFFIXES.some((suffix) => path.endsWith(suffix));
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function gitBlobSha1(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

/** Starts a mock hub and its CDN on random ports of 127.0.0.1. */
export async function startMockHub(repos: Record<string, MockRepo>): Promise<MockHub> {
  const repoMap = new Map(Object.entries(repos));
  const requests: SeenRequest[] = [];
  const cuts = new Map<string, Cut>();
  const listedOverrides = new Map<string, Buffer>();
  const blobsBySha = (): Map<string, Buffer> => {
    const out = new Map<string, Buffer>();
    for (const repo of repoMap.values()) for (const data of Object.values(repo.files)) out.set(sha256(data), data);
    return out;
  };

  const record = (server: 'hub' | 'cdn', request: IncomingMessage): void => {
    requests.push({
      server,
      method: request.method ?? 'GET',
      path: decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname),
      range: request.headers.range,
      authorization: request.headers.authorization,
    });
  };

  const cdn = createServer((request, response) => {
    record('cdn', request);
    const sha = /^\/blobs\/([0-9a-f]{64})$/.exec(new URL(request.url ?? '/', 'http://127.0.0.1').pathname)?.[1];
    const data = sha ? blobsBySha().get(sha) : undefined;
    if (!data) return sendJson(response, 404, { error: 'blob not found' });
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams.get('path') ?? '';
    sendBytes(request, response, data, { ETag: `"${sha}"` }, takeCut(path));
  });
  const cdnBase = await listen(cdn);

  const takeCut = (path: string): Cut | undefined => {
    const cut = cuts.get(path);
    if (!cut || cut.times <= 0) return undefined;
    cut.times--;
    return cut;
  };

  const hub = createServer((request, response) => {
    record('hub', request);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const path = decodeURIComponent(url.pathname);
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoId = (info ?? tree ?? resolve)?.[1];
    if (!repoId) return sendJson(response, 404, { error: 'no such route' });

    const repo = repoMap.get(repoId);
    if (!repo) return sendJson(response, 404, { error: 'Repository not found' }, { 'X-Error-Code': 'RepoNotFound' });
    if (repo.token !== undefined && !(repo.gateFilesOnly && !resolve)) {
      const auth = request.headers.authorization;
      if (!auth) return sendJson(response, 401, { error: 'Access to model is restricted. You must be authenticated to access it.' }, { 'X-Error-Code': 'GatedRepo' });
      if (auth !== `Bearer ${repo.token}`) return sendJson(response, 403, { error: 'Access to model is restricted and you are not in the authorized list.' }, { 'X-Error-Code': 'GatedRepo' });
    }
    const revision = (info ?? tree ?? resolve)![2];
    if (revision !== 'main' && revision !== repo.commit) {
      return sendJson(response, 404, { error: `Invalid rev id: ${revision}` }, { 'X-Error-Code': 'RevisionNotFound' });
    }

    if (info) return sendJson(response, 200, { _id: 'mock', id: repoId, sha: repo.commit, private: false, gated: repo.token ? 'manual' : false, downloads: 0, likes: 0, tags: [] });
    if (tree) {
      const entries = Object.entries(repo.files).map(([filePath, real]) => {
        const data = listedOverrides.get(filePath) ?? real;
        const entry: Record<string, unknown> = { type: 'file', path: filePath, size: data.length, oid: gitBlobSha1(data) };
        if (isLfs(filePath)) entry.lfs = { oid: sha256(data), size: data.length, pointerSize: 134 };
        return entry;
      });
      return sendJson(response, 200, entries);
    }

    const filePath = resolve![3];
    const data = repo.files[filePath];
    if (!data) return sendJson(response, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
    const headers = { 'X-Repo-Commit': repo.commit };
    if (isLfs(filePath)) {
      // The real hub redirects LFS files to a CDN on another origin.
      response.writeHead(302, { ...headers, 'X-Linked-Etag': `"${sha256(data)}"`, 'X-Linked-Size': String(data.length), Location: `${cdnBase}/blobs/${sha256(data)}?path=${encodeURIComponent(filePath)}` });
      return response.end();
    }
    sendBytes(request, response, data, { ...headers, ETag: `"${gitBlobSha1(data)}"` }, takeCut(filePath));
  });
  const endpoint = await listen(hub);

  return {
    endpoint,
    requests,
    repos: repoMap,
    cutFile(path, afterBytes, times = 1, received) {
      cuts.set(path, { afterBytes, times, received });
    },
    corruptFile(path, listed) {
      listedOverrides.set(path, listed);
    },
    async close() {
      await Promise.all([closeServer(hub), closeServer(cdn)]);
    },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

interface Cut {
  afterBytes: number;
  times: number;
  received?: () => Promise<boolean>;
}

/** Waits until `received` returns true, polling every 10 ms, for at most 5 s. */
async function waitUntil(received: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < 5000; waited += 10) {
    if (await received()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Sends the file or the requested range of it; with `cut`, destroys the socket after that many body bytes. */
function sendBytes(request: IncomingMessage, response: ServerResponse, data: Buffer, headers: Record<string, string>, cut?: Cut): void {
  let start = 0;
  let status = 200;
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    if (start >= data.length) {
      response.writeHead(416, { 'Content-Range': `bytes */${data.length}` });
      response.end();
      return;
    }
    status = 206;
    headers = { ...headers, 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` };
  }
  const body = data.subarray(start);
  response.writeHead(status, { ...headers, 'Accept-Ranges': 'bytes', 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' });
  if (cut === undefined) {
    response.end(body);
    return;
  }
  response.write(body.subarray(0, cut.afterBytes), () => {
    const destroy = () => response.socket?.destroy();
    if (cut.received) void waitUntil(cut.received).then(destroy);
    else setTimeout(destroy, 20);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
