// Public entry of the sandbox: a pool that runs untrusted Python against MBPP asserts.

import type { SandboxOptions, TestJob, TestResult } from './types.js';

export type { AssertResult, Outcome, SandboxOptions, TestJob, TestResult } from './types.js';

export class Sandbox {
  private constructor(readonly options: SandboxOptions) {}

  static async create(options: SandboxOptions = {}): Promise<Sandbox> {
    return new Sandbox(options);
  }

  // TODO: replaced by the process pool in the next commit; this placeholder only fixes the API.
  async run(_job: TestJob): Promise<TestResult> {
    throw new Error('Sandbox.run is not implemented yet');
  }

  async close(): Promise<void> {}
}
