// A kernel worker thread: instantiates the kernel module on every arena memory, then loops
// waiting for operations in the shared control block and computes its share of each.

import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { CONTROL_INTS, Op, Slot, STAGING_OFFSET, instantiate, runShare, warmKernels, type KernelExports } from './protocol.js';

export interface WorkerInit {
  module: WebAssembly.Module;
  memories: WebAssembly.Memory[];
  control: SharedArrayBuffer;
  port: MessagePort;
  index: number;
  threads: number;
  /** Idle time after an operation during which the worker spins before blocking in Atomics.wait. */
  spinMs: number;
  /** Sequence number when the worker was started; the first operation changes it. */
  sequence: number;
}

const init = workerData as WorkerInit;
const control = new Int32Array(init.control, 0, CONTROL_INTS);
const floats = new Float32Array(init.control, 0, CONTROL_INTS);
const instances: KernelExports[] = init.memories.map((memory) => instantiate(init.module, memory));
const memories = [...init.memories];

/** Waits until the sequence number differs from `seen`: spins first, then sleeps. */
function awaitSequence(seen: number): number {
  let spins = 0;
  let deadline = 0;
  for (;;) {
    const sequence = Atomics.load(control, Slot.Sequence);
    if (sequence !== seen) return sequence;
    spins++;
    // Reading the clock costs far more than one spin, so check it only now and then.
    if ((spins & 1023) !== 0) continue;
    const now = performance.now();
    if (deadline === 0) deadline = now + init.spinMs;
    if (now < deadline) continue;
    Atomics.add(control, Slot.Sleepers, 1);
    Atomics.wait(control, Slot.Sequence, seen);
    Atomics.sub(control, Slot.Sleepers, 1);
    spins = 0;
    deadline = 0;
  }
}

function addShard(): void {
  const message = receiveMessageOnPort(init.port);
  if (message === undefined) throw new Error(`kernel worker ${init.index}: AddShard without a memory on its port`);
  const memory = (message.message as { memory: WebAssembly.Memory }).memory;
  memories.push(memory);
  instances.push(instantiate(init.module, memory));
}

init.port.postMessage({ ready: true });
let seen = init.sequence;
for (;;) {
  seen = awaitSequence(seen);
  const op = control[Slot.Op] as Op;
  if (op === Op.Exit) {
    Atomics.add(control, Slot.Done, 1);
    break;
  }
  try {
    if (op === Op.AddShard) addShard();
    else if (op === Op.Warm) warmKernels(instances[0], memories[0], STAGING_OFFSET + (init.index % 14) * 65536);
    else runShare(control, floats, instances, init.threads, init.index);
  } catch (error) {
    Atomics.store(control, Slot.Failed, init.index);
    init.port.postMessage({ error: (error as Error).message });
  }
  Atomics.add(control, Slot.Done, 1);
}
init.port.close();
