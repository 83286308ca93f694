// Types shared by the sandbox and its callers (scoring, evaluation).

/** One program with the MBPP test code to run against it. */
export interface TestJob {
  id: string;
  /** Python source produced by the model; untrusted. */
  program: string;
  /** Trusted code run after the program and before the asserts (MBPP test_setup_code). */
  setupCode: string;
  /** Assert statements, each one line of Python such as `assert f(1) == 2`. */
  tests: string[];
  /** Extra asserts (MBPP challenge_test_list); they never decide `passed`. */
  challengeTests: string[];
  /** Wall-clock limit for this job; overrides SandboxOptions.timeoutMs. */
  timeoutMs?: number;
}

export type Outcome = 'passed' | 'failed' | 'error' | 'timeout' | 'out_of_memory' | 'crashed' | 'no_code';

export interface AssertResult {
  source: string;
  status: 'passed' | 'failed' | 'error' | 'not_run';
  /** Exception type and message, or why the comparison was rejected. */
  error?: string;
}

export interface TestResult {
  outcome: Outcome;
  passed: boolean;
  asserts: AssertResult[];
  challengeAsserts: AssertResult[];
  /** The exception that ended the run (program, setup code or harness). */
  error?: { type: string; message: string };
  /** Index into `asserts` of the first assert that did not pass. */
  failedAssert?: number;
  /** Signal name (SIGKILL, SIGSEGV, ...) when the process died from a signal. */
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the job ran inside bubblewrap namespaces, false with limits only. */
  isolated?: boolean;
}

export interface SandboxOptions {
  /** Number of programs run at once; default os.availableParallelism(). */
  workers?: number;
  /** Wall-clock limit per job in milliseconds; default 5000. */
  timeoutMs?: number;
  /** RLIMIT_CPU in seconds; default each job's wall-time limit rounded up plus one second. */
  cpuSeconds?: number;
  /** RLIMIT_AS in bytes; default 1 GiB. */
  memoryBytes?: number;
  /** RLIMIT_NPROC; default 64. */
  maxProcesses?: number;
  /** RLIMIT_FSIZE in bytes; default 16 MiB. */
  maxFileBytes?: number;
  /** Bytes kept of each of stdout and stderr; default 64 KiB. */
  maxOutputBytes?: number;
  /** Reject creation when bubblewrap is missing instead of falling back to limits only. */
  requireIsolation?: boolean;
  /** Python interpreter; default 'python3' looked up on PATH. */
  python?: string;
  /** Set false to skip bubblewrap even where it is installed (tests, debugging). */
  useBubblewrap?: boolean;
  /** When running as root: first of the unused uids that jobs run as, one per worker; default 61000. */
  uidBase?: number;
}
