// Client for the long-lived Python metrics helper: JSON lines over its stdin and stdout.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { log } from '../util/log.js';
import type { AstExtraction, CodeMetrics } from './metrics-types.js';

export const HELPER_PATH = fileURLToPath(new URL('../../../python/nir_metrics.py', import.meta.url));

export interface MetricsClientOptions {
  /** Python interpreter; default $NIR_PYTHON, else `python3` on PATH. */
  python?: string;
  /** A request that takes longer kills and restarts the helper; default 60000 ms. */
  requestTimeoutMs?: number;
}

/** The helper process died, timed out or could not start; the request itself may be fine. */
export class HelperFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HelperFailure';
  }
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** One helper process that replies in request order. A crashed or stuck helper is restarted on the next request. */
export class MetricsClient {
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  private readonly python: string;
  private readonly timeoutMs: number;

  constructor(options: MetricsClientOptions = {}) {
    this.python = options.python ?? process.env.NIR_PYTHON ?? 'python3';
    this.timeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Computes every metric of `code`; `firstAssert` is used for the name match. */
  analyze(code: string, firstAssert?: string): Promise<CodeMetrics> {
    return this.request('analyze', { code, first_assert: firstAssert ?? null }) as Promise<CodeMetrics>;
  }

  /** Keeps the definitions of `code` with Python's ast; null when the code does not parse. */
  extract(code: string): Promise<AstExtraction | null> {
    return this.request('extract', { code }) as Promise<AstExtraction | null>;
  }

  /** Returns the helper's Python version. */
  async ping(): Promise<string> {
    const result = (await this.request('ping', {})) as { python: string };
    return result.python;
  }

  request(op: string, payload: Record<string, unknown>): Promise<unknown> {
    const child = this.ensureChild();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.failAll(new HelperFailure(`metrics helper timed out after ${this.timeoutMs} ms on request ${op}; it was restarted`));
        child.kill('SIGKILL');
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      child.stdin.write(`${JSON.stringify({ id, op, ...payload })}\n`);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    });
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child !== undefined) return this.child;
    const child = spawn(this.python, ['-u', HELPER_PATH], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.stderrTail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-2000);
    });
    child.stdin.on('error', () => {
      // EPIPE after the helper died; the exit handler rejects the pending requests.
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.onLine(line));
    child.on('error', (error) => {
      if (this.child === child) this.child = undefined;
      this.failAll(new HelperFailure(`metrics helper '${this.python} ${HELPER_PATH}' failed to start: ${error.message}; set NIR_PYTHON to a Python 3.11 interpreter`));
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      if (this.pending.size > 0) {
        log.warn(`metrics helper exited (code ${code}, signal ${signal}) with ${this.pending.size} requests open: ${this.stderrTail.trim()}`);
        this.failAll(new HelperFailure(`metrics helper exited (code ${code}, signal ${signal}): ${this.stderrTail.trim() || 'no stderr'}`));
      }
    });
    return child;
  }

  private onLine(line: string): void {
    let reply: { id: number; ok: boolean; result?: unknown; error?: string };
    try {
      reply = JSON.parse(line) as typeof reply;
    } catch {
      log.warn(`metrics helper wrote a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    const entry = this.pending.get(reply.id);
    if (entry === undefined) return;
    this.pending.delete(reply.id);
    clearTimeout(entry.timer);
    if (reply.ok) entry.resolve(reply.result);
    else entry.reject(new Error(`metrics helper: ${reply.error}`));
  }

  private failAll(error: Error): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
    this.pending.clear();
  }
}

/** A fixed set of helpers; each request goes to the one with the fewest open requests. */
export class MetricsPool {
  private readonly clients: MetricsClient[];

  constructor(size: number, options: MetricsClientOptions = {}) {
    if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`metrics pool size must be a positive integer, got ${size}`);
    this.clients = Array.from({ length: size }, () => new MetricsClient(options));
  }

  /** Returns the helper with the fewest open requests. */
  pick(): MetricsClient {
    return this.clients.reduce((best, client) => (client.pendingCount < best.pendingCount ? client : best));
  }

  analyze(code: string, firstAssert?: string): Promise<CodeMetrics> {
    return this.withRetry((client) => client.analyze(code, firstAssert));
  }

  extract(code: string): Promise<AstExtraction | null> {
    return this.withRetry((client) => client.extract(code));
  }

  /** Runs a request, and once more on a restarted helper when the helper (not the request) failed. */
  private async withRetry<T>(call: (client: MetricsClient) => Promise<T>): Promise<T> {
    try {
      return await call(this.pick());
    } catch (error) {
      if (!(error instanceof HelperFailure)) throw error;
      log.warn(`retrying a metrics request after a helper failure: ${error.message}`);
      return call(this.pick());
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}
