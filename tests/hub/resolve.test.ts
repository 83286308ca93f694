import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';

import { HubError } from '../../src/hub/errors.js';
import type { DownloadProgress } from '../../src/hub/download.js';
import { resolveModelSpec, type ResolveOptions } from '../../src/hub/resolve.js';
import { InputError } from '../../src/util/errors.js';
import { setLogSink } from '../../src/util/log.js';
import { sha256, startMockHub, type MockHub } from './mock-hub.js';

const COMMIT = 'a'.repeat(40);
const GATED_COMMIT = 'b'.repeat(40);
const TOKEN = 'hf_mocktoken';

/** Deterministic bytes, so a wrong offset on resume shows up as different contents. */
function patterned(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const folderFiles: Record<string, Buffer> = {
  'config.json': Buffer.from(JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: 64 })),
  'tokenizer.json': Buffer.from(JSON.stringify({ model: { type: 'BPE', vocab: {} } })),
  'tokenizer_config.json': Buffer.from('{"bos_token":"<s>"}'),
  'model-00001-of-00002.safetensors': patterned(300_000, 1),
  'model-00002-of-00002.safetensors': patterned(200_000, 2),
  'model.safetensors.index.json': Buffer.from(
    JSON.stringify({ weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' } }),
  ),
  'consolidated.safetensors': patterned(1000, 3),
  'README.md': Buffer.from('# not downloaded'),
};

let hub: MockHub;
let cacheDir: string;
const cacheDirs: string[] = [];
let logLines: string[] = [];

function options(extra: ResolveOptions = {}): ResolveOptions {
  return { endpoint: hub.endpoint, cacheDir, env: {}, maxAttempts: 1, stallTimeoutMs: 5000, ...extra };
}

/** Returns the size of a partial download, 0 while it does not exist. */
async function partialSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

function fileRequests(): string[] {
  return hub.requests.filter((r) => r.path.includes('/resolve/') || r.server === 'cdn').map((r) => r.path);
}

before(async () => {
  setLogSink((level, message) => logLines.push(`${level}: ${message}`));
  hub = await startMockHub({
    'org/folder': { commit: COMMIT, files: folderFiles },
    'org/gguf': { commit: COMMIT, files: { 'tiny-Q8_0.gguf': patterned(150_000, 4), 'tiny-F16.gguf': patterned(10, 5), 'README.md': Buffer.from('x') } },
    'org/gated': { commit: GATED_COMMIT, token: TOKEN, files: { 'model.gguf': patterned(5000, 6) } },
    'org/gated-files': { commit: GATED_COMMIT, token: TOKEN, gateFilesOnly: true, files: { 'model.gguf': patterned(5000, 7) } },
  });
});

after(async () => {
  await hub.close();
  for (const dir of cacheDirs) await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'nir-hub-cache-'));
  cacheDirs.push(cacheDir);
  hub.requests.length = 0;
  logLines = [];
});

test('folder download writes the standard cache layout', async () => {
  const progress: DownloadProgress[] = [];
  const path = await resolveModelSpec('hf:org/folder', options({ onProgress: (p) => progress.push(p) }));

  const repoRoot = join(cacheDir, 'models--org--folder');
  assert.equal(path, join(repoRoot, 'snapshots', COMMIT));
  assert.equal((await readFile(join(repoRoot, 'refs', 'main'), 'utf8')).trim(), COMMIT);

  const expected = ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json'];
  assert.deepEqual((await readdir(path)).sort(), expected);
  for (const name of expected) {
    assert.deepEqual(await readFile(join(path, name)), folderFiles[name], name);
    const link = await readlink(join(path, name));
    assert.match(link, /^\.\.\/\.\.\/blobs\/[0-9a-f]{40,64}$/, name);
  }
  // Blob names are the ETags: sha256 for LFS files, git's blob hash for the rest.
  assert.equal(await readlink(join(path, 'model-00002-of-00002.safetensors')), `../../blobs/${sha256(folderFiles['model-00002-of-00002.safetensors'])}`);
  const gitOid = execFileSync('git', ['hash-object', '--stdin'], { input: folderFiles['config.json'] }).toString().trim();
  assert.equal(await readlink(join(path, 'config.json')), `../../blobs/${gitOid}`);

  assert.ok(!fileRequests().some((p) => p.endsWith('consolidated.safetensors')), 'shards outside the index are skipped');
  assert.ok(!fileRequests().some((p) => p.endsWith('README.md')));
  const last = progress.filter((p) => p.file === 'model-00001-of-00002.safetensors').at(-1);
  assert.deepEqual(last, { file: 'model-00001-of-00002.safetensors', bytesDone: 300_000, bytesTotal: 300_000, bytesResumed: 0, done: true });
});

test('second call reuses the cache', async () => {
  const first = await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options());
  assert.equal(fileRequests().length > 0, true);
  hub.requests.length = 0;

  const second = await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options());
  assert.equal(second, first);
  assert.deepEqual(fileRequests(), []);
  assert.equal(second, join(cacheDir, 'models--org--gguf', 'snapshots', COMMIT, 'tiny-Q8_0.gguf'));
  assert.ok(hub.requests.length > 0, 'a branch name is resolved online');

  hub.requests.length = 0;
  assert.equal(await resolveModelSpec(`hf:org/gguf@${COMMIT}:tiny-Q8_0.gguf`, options()), first);
  assert.deepEqual(hub.requests, [], 'a cached commit needs no request');
  assert.deepEqual(await readFile(second), hub.repos.get('org/gguf')!.files['tiny-Q8_0.gguf']);
});

test('interrupted download resumes with Range', async () => {
  const data = hub.repos.get('org/gguf')!.files['tiny-Q8_0.gguf'];
  const partial = join(cacheDir, 'models--org--gguf', 'blobs', `${sha256(data)}.incomplete`);
  hub.cutFile('tiny-Q8_0.gguf', 70_000, 1, async () => (await partialSize(partial)) >= 70_000);
  await assert.rejects(resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options()), (error: unknown) => {
    assert.ok(error instanceof HubError);
    assert.match(error.message, /interrupted after 70000 of 150000 bytes/);
    assert.match(error.message, /again to resume/);
    return true;
  });
  assert.equal((await stat(partial)).size, 70_000);

  hub.requests.length = 0;
  const progress: DownloadProgress[] = [];
  const path = await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ onProgress: (p) => progress.push(p) }));
  const cdnGets = hub.requests.filter((r) => r.server === 'cdn');
  assert.equal(cdnGets.length, 1);
  assert.equal(cdnGets[0].range, 'bytes=70000-');
  assert.deepEqual(await readFile(path), data);
  assert.equal(progress.at(-1)?.bytesResumed, 70_000);
  await assert.rejects(stat(partial), { code: 'ENOENT' });
});

test('retries within one call continue the file', async () => {
  const data = hub.repos.get('org/gguf')!.files['tiny-Q8_0.gguf'];
  const partial = join(cacheDir, 'models--org--gguf', 'blobs', `${sha256(data)}.incomplete`);
  // Each cut sends 40000 more bytes, so the file grows to 40000 and then 80000 bytes.
  let cuts = 0;
  hub.cutFile('tiny-Q8_0.gguf', 40_000, 2, async () => (await partialSize(partial)) >= 40_000 * (cuts + 1) && ++cuts > 0);
  const path = await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ maxAttempts: 3 }));
  assert.deepEqual(await readFile(path), data);
  assert.deepEqual(
    hub.requests.filter((r) => r.server === 'cdn').map((r) => r.range),
    [undefined, 'bytes=40000-', 'bytes=80000-'],
  );
  assert.equal(logLines.filter((line) => line.startsWith('warn:')).length, 2);
});

test('offline mode hit and miss', async () => {
  await assert.rejects(resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ env: { HF_HUB_OFFLINE: '1' } })), (error: unknown) => {
    assert.ok(error instanceof HubError);
    assert.match(error.message, /hf:org\/gguf:tiny-Q8_0\.gguf is not in the cache/);
    assert.match(error.message, /no ref 'main'/);
    return true;
  });
  assert.equal(hub.requests.length, 0);

  const online = await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options());
  hub.requests.length = 0;
  assert.equal(await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ env: { HF_HUB_OFFLINE: '1' } })), online);
  assert.equal(await resolveModelSpec(`hf:org/gguf@${COMMIT}:tiny-Q8_0.gguf`, options({ offline: true })), online);
  await assert.rejects(resolveModelSpec('hf:org/gguf:tiny-F16.gguf', options({ offline: true })), /missing .*tiny-F16\.gguf/);
  assert.equal(hub.requests.length, 0);
});

test('offline folder names missing shard', async () => {
  const folder = await resolveModelSpec('hf:org/folder', options());
  await rm(join(folder, 'model-00002-of-00002.safetensors'));
  await assert.rejects(resolveModelSpec('hf:org/folder', options({ offline: true })), (error: unknown) => {
    assert.ok(error instanceof HubError);
    assert.match(error.message, /lacks model-00002-of-00002\.safetensors/);
    assert.doesNotMatch(error.message, /config\.json/);
    return true;
  });
  assert.equal(await resolveModelSpec('hf:org/folder', options()), folder);
  assert.equal(await resolveModelSpec('hf:org/folder', options({ offline: true })), folder);
});

test('unreachable hub falls back to the cache', async () => {
  const path = await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options());
  const closed = await startMockHub({});
  const deadEndpoint = closed.endpoint;
  await closed.close();
  assert.equal(await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ endpoint: deadEndpoint })), path);
  assert.ok(logLines.some((line) => /warn: cannot reach/.test(line)));
  await assert.rejects(resolveModelSpec('hf:org/gguf:tiny-F16.gguf', options({ endpoint: deadEndpoint })), /cannot be reached/);
});

test('gated repo 401 and 403 errors', async () => {
  for (const token of [undefined, 'hf_wrong']) {
    await assert.rejects(resolveModelSpec('hf:org/gated:model.gguf', options({ token })), (error: unknown) => {
      assert.ok(error instanceof HubError);
      assert.equal(error.status, token ? 403 : 401);
      assert.match(error.message, /gated or private/);
      assert.match(error.message, /Accept the licence on http:\/\/127\.0\.0\.1:\d+\/org\/gated/);
      assert.match(error.message, /set HF_TOKEN/);
      return true;
    });
  }
  const path = await resolveModelSpec('hf:org/gated:model.gguf', options({ env: { HF_TOKEN: TOKEN } }));
  assert.deepEqual(await readFile(path), hub.repos.get('org/gated')!.files['model.gguf']);
});

test('gated file download 401', async () => {
  await assert.rejects(resolveModelSpec('hf:org/gated-files:model.gguf', options()), (error: unknown) => {
    assert.ok(error instanceof HubError);
    assert.equal(error.status, 401);
    assert.match(error.message, /access to org\/gated-files was denied \(HTTP 401\) while requesting file model\.gguf/);
    assert.match(error.message, /set HF_TOKEN/);
    return true;
  });
  assert.deepEqual(await readdir(join(cacheDir, 'models--org--gated-files', 'blobs')), []);
  const path = await resolveModelSpec('hf:org/gated-files:model.gguf', options({ token: TOKEN }));
  assert.deepEqual(await readFile(path), hub.repos.get('org/gated-files')!.files['model.gguf']);
});

test('cache written by huggingface_hub is reused', async () => {
  // The layout huggingface_hub (Python) writes: blobs named by ETag, relative snapshot links, refs/main.
  const data = hub.repos.get('org/gguf')!.files['tiny-Q8_0.gguf'];
  const root = join(cacheDir, 'models--org--gguf');
  await mkdir(join(root, 'blobs'), { recursive: true });
  await mkdir(join(root, 'snapshots', COMMIT), { recursive: true });
  await mkdir(join(root, 'refs'), { recursive: true });
  await writeFile(join(root, 'blobs', sha256(data)), data);
  await symlink(`../../blobs/${sha256(data)}`, join(root, 'snapshots', COMMIT, 'tiny-Q8_0.gguf'));
  await writeFile(join(root, 'refs', 'main'), COMMIT);

  const expected = join(root, 'snapshots', COMMIT, 'tiny-Q8_0.gguf');
  assert.equal(await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ offline: true })), expected);
  assert.equal(await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options()), expected);
  assert.deepEqual(fileRequests(), []);
});

test('token stays on the hub origin', async () => {
  await resolveModelSpec('hf:org/gguf:tiny-Q8_0.gguf', options({ token: TOKEN }));
  const hubRequests = hub.requests.filter((r) => r.server === 'hub');
  const cdnRequests = hub.requests.filter((r) => r.server === 'cdn');
  assert.ok(hubRequests.length >= 3);
  assert.ok(hubRequests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  assert.equal(cdnRequests.length, 1);
  assert.equal(cdnRequests[0].authorization, undefined);
});

test('unknown repo, revision and file errors', async () => {
  await assert.rejects(resolveModelSpec('hf:org/missing', options()), (error: unknown) => {
    assert.ok(error instanceof HubError);
    assert.equal(error.status, 404);
    assert.match(error.message, /repository org\/missing at revision 'main' not found/);
    return true;
  });
  await assert.rejects(resolveModelSpec('hf:org/gguf@nope:tiny-Q8_0.gguf', options()), /revision 'nope' not found/);
  await assert.rejects(resolveModelSpec('hf:org/gguf:absent.gguf', options()), /file absent\.gguf not found .*GGUF files in the repository: tiny-F16\.gguf, tiny-Q8_0\.gguf/);
  await assert.rejects(resolveModelSpec('hf:org/gguf', options()), /not a Hugging Face model folder.*hf:org\/gguf:tiny-F16\.gguf/);
});

test('corrupt download is rejected and deleted', async () => {
  const real = hub.repos.get('org/gguf')!.files['tiny-F16.gguf'];
  const listed = Buffer.from(real);
  listed[3] ^= 0xff;
  hub.corruptFile('tiny-F16.gguf', listed);
  try {
    await assert.rejects(resolveModelSpec('hf:org/gguf:tiny-F16.gguf', options()), /does not match its sha256/);
    assert.deepEqual(await readdir(join(cacheDir, 'models--org--gguf', 'blobs')), []);
  } finally {
    hub.corruptFile('tiny-F16.gguf', real);
  }
});

test('local paths pass through or fail clearly', async () => {
  const file = join(cacheDir, 'local.gguf');
  await writeFile(file, 'GGUF');
  assert.equal(await resolveModelSpec(file, options()), file);
  await assert.rejects(resolveModelSpec(join(cacheDir, 'nope.gguf'), options()), (error: unknown) => {
    assert.ok(error instanceof InputError);
    assert.match(error.message, /model path not found: .*nope\.gguf/);
    return true;
  });
  assert.equal(hub.requests.length, 0);
});
