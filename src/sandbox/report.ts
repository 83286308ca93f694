// Turning the harness report and the process's fate into a TestResult with one outcome class.

import type { AssertResult, TestJob, TestResult } from './types.js';

/** One assert as python/harness.py reports it. */
export interface HarnessAssert {
  status: 'passed' | 'failed' | 'error';
  errorType: string | null;
  message: string | null;
}

/** The JSON line python/harness.py writes after the nonce on fd 3. */
export interface HarnessReport {
  timedOut: boolean;
  /** The child sent its last message: every assert ran. */
  done: boolean;
  programError: { phase: 'program' | 'setup'; type: string; message: string } | null;
  tests: HarnessAssert[];
  challenge: HarnessAssert[];
  /** A line from the child that did not parse: the program wrote to the harness pipe. */
  garbled: boolean;
  limitWarnings: string[];
  signal?: string;
  exitCode?: number;
}

/** Observations of the sandbox about one harness process. */
export interface RunFacts {
  /** Undefined when no report with the right nonce arrived. */
  report: HarnessReport | undefined;
  stdout: string;
  stderr: string;
  outputExceeded: boolean;
  /** The harness itself did not finish within the timeout plus its grace time. */
  harnessTimedOut: boolean;
  exitCode: number | null;
  exitSignal: string | null;
  spawnError: Error | undefined;
  isolated: boolean;
}

/** Signals that mean a resource limit ended the program rather than a crash. */
const CPU_LIMIT_SIGNAL = 'SIGXCPU';

export function classify(job: TestJob, facts: RunFacts, timeoutMs: number, durationMs: number): TestResult {
  const report = facts.report;
  const base = {
    stdout: facts.stdout,
    stderr: facts.stderr,
    durationMs,
    isolated: facts.isolated,
    asserts: assertResults(job.tests, report?.tests ?? []),
    challengeAsserts: assertResults(job.challengeTests, report?.challenge ?? []),
  };
  const fail = (outcome: TestResult['outcome'], extra: Partial<TestResult> = {}): TestResult => ({
    ...base,
    outcome,
    passed: false,
    ...extra,
  });

  if (facts.spawnError) {
    return fail('error', { error: { type: 'SpawnError', message: `failed to start the harness: ${facts.spawnError.message}` } });
  }
  if (facts.outputExceeded) {
    return fail('error', {
      error: { type: 'OutputLimitExceeded', message: 'the program wrote far more output than maxOutputBytes and was killed' },
    });
  }
  if (report === undefined) {
    if (facts.harnessTimedOut) return fail('timeout', { error: { type: 'Timeout', message: 'the harness did not finish in time' } });
    const ending = facts.exitSignal ? `signal ${facts.exitSignal}` : `exit code ${facts.exitCode}`;
    return fail('crashed', {
      signal: facts.exitSignal ?? signalFromExitCode(facts.exitCode),
      error: {
        type: 'HarnessLost',
        message: `the harness ended (${ending}) without a report: the program killed it, or stderr shows why the harness failed`,
      },
    });
  }
  if (report.timedOut) {
    return fail('timeout', { error: { type: 'Timeout', message: `the program ran longer than the limit of ${timeoutMs} ms` } });
  }
  if (report.signal !== undefined && !report.done) {
    if (report.signal === CPU_LIMIT_SIGNAL) {
      return fail('timeout', { signal: report.signal, error: { type: 'CpuTimeLimit', message: 'the CPU time limit was exceeded' } });
    }
    return fail('crashed', { signal: report.signal, error: { type: 'Signal', message: `the program was killed by ${report.signal}` } });
  }
  if (report.programError) {
    const { phase, type, message } = report.programError;
    const where = phase === 'setup' ? 'the test setup code' : 'the program';
    return fail(type === 'MemoryError' ? 'out_of_memory' : 'error', { error: { type, message: `${where} raised ${type}: ${message}` } });
  }
  if (report.garbled) {
    return fail('error', { error: { type: 'HarnessTampered', message: 'the harness received messages it did not send' } });
  }
  if (!report.done) {
    return fail('error', {
      error: { type: 'ProgramExited', message: `the program ended the process (exit code ${report.exitCode}) before all asserts ran` },
    });
  }
  if (job.tests.length === 0) {
    return fail('error', { error: { type: 'NoAsserts', message: 'the job has no asserts, so it cannot pass' } });
  }

  const failedAssert = base.asserts.findIndex((result) => result.status !== 'passed');
  if (failedAssert < 0) return { ...base, outcome: 'passed', passed: true };
  const first = report.tests[failedAssert];
  if (first === undefined || first.status === 'failed') return fail('failed', { failedAssert });
  const type = first.errorType ?? 'Error';
  const message = first.message ?? '';
  return fail(type === 'MemoryError' ? 'out_of_memory' : 'error', { failedAssert, error: { type, message } });
}

function assertResults(sources: string[], reported: HarnessAssert[]): AssertResult[] {
  return sources.map((source, index) => {
    const result = reported[index];
    if (result === undefined) return { source, status: 'not_run' };
    if (result.status === 'error') return { source, status: 'error', error: `${result.errorType}: ${result.message}` };
    return { source, status: result.status };
  });
}

/** bwrap exits with 128 + the signal number when its child was killed by a signal. */
function signalFromExitCode(code: number | null): string | undefined {
  if (code === null || code <= 128 || code > 128 + 64) return undefined;
  const names: Record<number, string> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM', 24: 'SIGXCPU', 25: 'SIGXFSZ' };
  return names[code - 128] ?? `signal ${code - 128}`;
}
