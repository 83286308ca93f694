// The worker threads of the WebAssembly backend and the hand-off of one operation to them.
//
// An operation is published through a control block in a SharedArrayBuffer: the caller writes
// the op code and arguments, bumps the sequence number, computes its own share, then spins until
// every worker has counted itself done. Workers spin for a while after each operation and only
// then sleep in Atomics.wait, because waking a sleeping thread costs tens of microseconds and a
// decode step hands off hundreds of operations.

import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { log } from '../../util/log.js';
import { CONTROL_INTS, FLOAT_ARG, Op, Slot, STAGING_OFFSET, instantiate, runShare, warmKernels, type KernelExports } from './protocol.js';
import type { WorkerInit } from './worker.js';

/** Wall time after which a caller waiting for workers gives up: far above any single kernel call. */
const STALL_LIMIT_MS = 120_000;

export class KernelPool {
  readonly control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_INTS));
  private readonly floats = new Float32Array(this.control.buffer);
  /** The calling thread's own instances, one per memory. */
  readonly instances: KernelExports[];
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private closed = false;

  private constructor(
    private readonly module: WebAssembly.Module,
    private readonly memories: WebAssembly.Memory[],
    readonly threads: number,
  ) {
    this.instances = memories.map((memory) => instantiate(module, memory));
  }

  /** Starts threads - 1 workers on the given memories and warms every kernel on every thread. */
  static async start(module: WebAssembly.Module, memories: WebAssembly.Memory[], threads: number, spinMs = 2): Promise<KernelPool> {
    const pool = new KernelPool(module, [...memories], threads);
    const online: Promise<void>[] = [];
    for (let index = 1; index < threads; index++) {
      const channel = new MessageChannel();
      const sequence = pool.control[Slot.Sequence];
      const init: WorkerInit = { module, memories, control: pool.control.buffer as SharedArrayBuffer, port: channel.port2, index, threads, spinMs, sequence };
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: init, transferList: [channel.port2] });
      worker.on('error', (error) => log.error(`kernel worker ${index} stopped: ${error.message}`));
      // The worker reports ready once its instances exist; 'online' fires before its code has run.
      online.push(new Promise((resolve, reject) => {
        channel.port1.once('message', () => resolve());
        worker.once('error', reject);
      }));
      pool.workers.push(worker);
      pool.ports.push(channel.port1);
    }
    await Promise.all(online);
    // Unreferenced once started, so a caller that forgets close() does not keep the process alive.
    for (const worker of pool.workers) worker.unref();
    for (const port of pool.ports) port.unref();
    pool.dispatch(Op.Warm, 0, 0, 1);
    return pool;
  }

  /** Announces memories added to the arena since the last call, so every thread gets an instance. */
  syncMemories(memories: WebAssembly.Memory[]): void {
    while (this.memories.length < memories.length) {
      const memory = memories[this.memories.length];
      this.memories.push(memory);
      this.instances.push(instantiate(this.module, memory));
      for (const port of this.ports) port.postMessage({ memory });
      this.dispatch(Op.AddShard, 0, 0, 1);
    }
  }

  /** Sets integer argument k (pointers up to 4 GiB are stored as their u32 bit pattern). */
  setArg(k: number, value: number): void {
    this.control[Slot.Args + k] = value | 0;
  }

  setFloatArg(value: number): void {
    this.floats[FLOAT_ARG] = value;
  }

  /**
   * Runs `op` on memory `shard` over `units` work units split in multiples of `grain` across all
   * threads, and returns when every thread has finished. Arguments must be set first.
   */
  dispatch(op: Op, shard: number, units: number, grain: number): void {
    if (this.closed) throw new Error('the kernel pool is closed: create a new backend');
    const control = this.control;
    control[Slot.Op] = op;
    control[Slot.Shard] = shard;
    control[Slot.Units] = units;
    control[Slot.Grain] = Math.max(1, grain);
    Atomics.store(control, Slot.Done, 0);
    Atomics.store(control, Slot.Failed, 0);
    Atomics.add(control, Slot.Sequence, 1);
    if (Atomics.load(control, Slot.Sleepers) > 0) Atomics.notify(control, Slot.Sequence);

    let ownError: unknown = null;
    try {
      if (op === Op.Warm) warmKernels(this.instances[0], this.memories[0], STAGING_OFFSET);
      else if (op !== Op.AddShard && op !== Op.Exit) runShare(control, this.floats, this.instances, this.threads, 0);
    } catch (error) {
      ownError = error;
    }
    this.awaitWorkers();
    if (ownError !== null) throw ownError;
    const failed = Atomics.load(control, Slot.Failed);
    if (failed !== 0) {
      // Worker k (k >= 1) owns port k - 1.
      const report = receiveMessageOnPort(this.ports[failed - 1]);
      const message = (report?.message as { error?: string } | undefined)?.error ?? 'unknown error';
      throw new Error(`kernel worker ${failed} failed on operation ${op}: ${message}`);
    }
  }

  /** Runs `op` on only the calling thread, for work too small to be worth a hand-off. */
  runLocal(op: Op, shard: number, units: number): void {
    const control = this.control;
    control[Slot.Op] = op;
    control[Slot.Shard] = shard;
    control[Slot.Units] = units;
    control[Slot.Grain] = units;
    runShare(control, this.floats, this.instances, 1, 0);
  }

  private awaitWorkers(): void {
    const expected = this.workers.length;
    let spins = 0;
    let started = 0;
    while (Atomics.load(this.control, Slot.Done) < expected) {
      spins++;
      if ((spins & 0xfffff) !== 0) continue;
      const now = performance.now();
      if (started === 0) started = now;
      else if (now - started > STALL_LIMIT_MS) {
        throw new Error(`kernel workers did not finish within ${STALL_LIMIT_MS} ms: ${Atomics.load(this.control, Slot.Done)} of ${expected} done`);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Referenced again so the event loop stays alive until the workers have exited.
    for (const worker of this.workers) worker.ref();
    const exits = this.workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    this.dispatch(Op.Exit, 0, 0, 1);
    this.closed = true;
    for (const port of this.ports) port.close();
    await Promise.all(exits);
  }
}
