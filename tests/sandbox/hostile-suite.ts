// Hostile programs, each its own test, run against one sandbox mode.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Sandbox } from '../../src/sandbox/index.js';
import { countTasksOf } from '../../src/sandbox/process.js';
import {
  HOSTILE_LIMITS,
  createSandbox,
  job,
  processesOfUids,
  processesWithMarker,
  runningAsRoot,
  uniqueMarker,
  waitFor,
  type SandboxMode,
} from './helpers.js';

/** Python that starts a sleeping process carrying `marker` in its command line. */
function sleeperCode(marker: string, seconds = 60): string {
  return `subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(${seconds})', ${JSON.stringify(marker)}])`;
}

export function defineHostileSuite(mode: SandboxMode, skipReason: string | false): void {
  describe(`sandbox hostile programs (${mode})`, { skip: skipReason }, () => {
    let sandbox: Sandbox;
    // Without namespaces the program sees the host's files, network and processes of its own uid.
    const limitsOnlyAsUser = mode === 'limits-only' && !runningAsRoot;

    before(async () => {
      sandbox = await createSandbox(mode);
    });

    after(async () => {
      await sandbox?.close();
    });

    async function assertNoSurvivors(marker: string): Promise<void> {
      const gone = await waitFor(() => processesWithMarker(marker).length === 0, 3_000);
      assert.deepEqual(gone ? [] : processesWithMarker(marker), [], 'processes of the job survived it');
      assert.deepEqual(processesOfUids(sandbox.workerUids), [], 'processes of the sandbox uids survived');
    }

    it('infinite loop times out and its group dies', async () => {
      const marker = uniqueMarker('loop');
      const program = `import subprocess, sys\n${sleeperCode(marker)}\nwhile True:\n    pass\n`;
      const result = await sandbox.run(job(program, ['assert True'], { timeoutMs: 1_000 }));
      assert.equal(result.outcome, 'timeout');
      assert.equal(result.passed, false);
      assert.equal(result.asserts[0].status, 'not_run');
      await assertNoSurvivors(marker);
    });

    it('escaped session leaves no survivor', { skip: limitsOnlyAsUser && 'setsid() escapes the group kill without a uid of its own' }, async () => {
      const marker = uniqueMarker('setsid');
      const program = [
        'import os, subprocess, sys',
        'if os.fork() == 0:',
        '    os.setsid()',
        `    ${sleeperCode(marker)}`,
        '    os._exit(0)',
        'import time',
        'time.sleep(0.5)',
      ].join('\n');
      const result = await sandbox.run(job(program));
      assert.equal(result.outcome, 'passed');
      await assertNoSurvivors(marker);
    });

    it('fork bomb is held by the process limit', async () => {
      const marker = uniqueMarker('bomb');
      const bomb = [
        'import os, time',
        'while True:',
        '    try:',
        '        os.fork()',
        '    except OSError:',
        '        time.sleep(0.01)',
      ].join('\n');
      const program = `import os, sys\nos.execv(sys.executable, [sys.executable, '-c', ${JSON.stringify(bomb)}, ${JSON.stringify(marker)}])\n`;
      // A normal user's limit also counts the processes it already has; a uid of the job's own counts only the job.
      const allowed = (HOSTILE_LIMITS.maxProcesses ?? 0) + (runningAsRoot ? 0 : countTasksOf(process.getuid?.() ?? -1));
      let maxSeen = 0;
      const sampler = setInterval(() => {
        maxSeen = Math.max(maxSeen, processesWithMarker(marker).length);
      }, 25);
      const result = await sandbox.run(job(program, ['assert True'], { timeoutMs: 1_500 }));
      clearInterval(sampler);
      assert.notEqual(result.outcome, 'passed');
      assert.ok(maxSeen > 1, `the bomb never forked (max ${maxSeen} processes seen)`);
      // The supervisor counts against the limit of maxProcesses + 1, so the bomb gets maxProcesses.
      assert.ok(maxSeen <= allowed, `saw ${maxSeen} bomb processes at once, allowed ${allowed}`);
      await assertNoSurvivors(marker);
    });

    it('memory hog is out_of_memory', async () => {
      const program = 'blocks = []\nwhile True:\n    blocks.append(bytearray(16 * 1024 * 1024))\n';
      // A generous timeout: filling 256 MiB can be slow on a loaded machine, and the limit ends the job early.
      const result = await sandbox.run(job(program, ['assert True'], { timeoutMs: 15_000 }));
      assert.equal(result.outcome, 'out_of_memory');
      assert.equal(result.error?.type, 'MemoryError');
    });

    it('endless output is truncated and ends', async () => {
      const program = "while True:\n    print('x' * 1000)\n";
      const result = await sandbox.run(job(program, ['assert True'], { timeoutMs: 10_000 }));
      assert.equal(result.outcome, 'error');
      assert.equal(result.error?.type, 'OutputLimitExceeded');
      const limit = HOSTILE_LIMITS.maxOutputBytes ?? 0;
      assert.ok(result.stdout.length <= limit + 100, `stdout kept ${result.stdout.length} characters`);
      assert.match(result.stdout, /more bytes of output dropped/);
    });

    it('write outside scratch folder fails', { skip: limitsOnlyAsUser && 'a normal user can write its own folders' }, async () => {
      const dir = path.join(os.tmpdir(), uniqueMarker('outside'));
      mkdirSync(dir, { mode: 0o755 });
      const target = path.join(dir, 'escaped.txt');
      try {
        const program = `with open(${JSON.stringify(target)}, 'w') as handle:\n    handle.write('escaped')\n`;
        const result = await sandbox.run(job(program));
        assert.equal(result.outcome, 'error');
        assert.ok(['PermissionError', 'FileNotFoundError'].includes(result.error?.type ?? ''), result.error?.message);
        assert.equal(existsSync(target), false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('file in home folder stays unread', { skip: limitsOnlyAsUser && 'a normal user can read its own home' }, async () => {
      const secret = randomBytes(16).toString('hex');
      const file = path.join(os.homedir(), `.${uniqueMarker('secret')}`);
      writeFileSync(file, secret, { mode: 0o644 });
      try {
        const program = [
          'try:',
          `    print(open(${JSON.stringify(file)}).read())`,
          'except OSError as error:',
          "    print('read failed:', type(error).__name__)",
        ].join('\n');
        const result = await sandbox.run(job(program));
        assert.equal(result.stdout.includes(secret), false, 'the program read the secret');
        assert.match(result.stdout, /read failed: (PermissionError|FileNotFoundError)/);
      } finally {
        rmSync(file, { force: true });
      }
    });

    it('connection to local listener fails', { skip: mode === 'limits-only' && 'resource limits cannot block the network' }, async () => {
      let connections = 0;
      const server = net.createServer((socket) => {
        connections++;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        const program = `import socket\nsocket.create_connection(('127.0.0.1', ${port}), timeout=1).close()\n`;
        const result = await sandbox.run(job(program));
        assert.equal(result.outcome, 'error');
        assert.ok(['ConnectionRefusedError', 'OSError', 'TimeoutError'].includes(result.error?.type ?? ''), result.error?.message);
        assert.equal(connections, 0);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('killing the parent is not a pass', async () => {
      const result = await sandbox.run(job('import os\nos.kill(os.getppid(), 9)\n'));
      assert.equal(result.outcome, 'crashed');
      assert.equal(result.passed, false);
      assert.equal(result.signal, 'SIGKILL');
      const next = await sandbox.run(job('x = 1', ['assert x == 1']));
      assert.equal(next.outcome, 'passed', 'the sandbox stopped working after the kill');
    });

    it('killing own process group is not a pass', async () => {
      const result = await sandbox.run(job('import os\nos.killpg(0, 9)\n'));
      assert.equal(result.outcome, 'crashed');
      assert.equal(result.passed, false);
      const next = await sandbox.run(job('x = 1', ['assert x == 1']));
      assert.equal(next.outcome, 'passed');
    });

    it('kill of every process is contained', { skip: limitsOnlyAsUser && 'kill(-1) would reach every process of this user' }, async () => {
      const result = await sandbox.run(job('import os\nos.kill(-1, 9)\n'));
      assert.equal(result.passed, false);
      assert.ok(['crashed', 'error'].includes(result.outcome), result.outcome);
      const next = await sandbox.run(job('x = 1', ['assert x == 1']));
      assert.equal(next.outcome, 'passed');
    });

    it('os._exit before asserts is not a pass', async () => {
      const result = await sandbox.run(job('import os\nos._exit(0)\n', ['assert False']));
      assert.equal(result.outcome, 'error');
      assert.equal(result.error?.type, 'ProgramExited');
      assert.equal(result.asserts[0].status, 'not_run');
    });

    it('sys.exit before asserts is not a pass', async () => {
      const result = await sandbox.run(job('import sys\nsys.exit(0)\n', ['assert False']));
      assert.equal(result.outcome, 'error');
      assert.equal(result.error?.type, 'SystemExit');
    });

    it('faked success report is not a pass', async () => {
      const fake = JSON.stringify({ timedOut: false, done: true, programError: null, tests: [{ status: 'passed' }], challenge: [] });
      const program = [
        'import os',
        `fake = ${JSON.stringify(fake)}`,
        "print('passed')",
        "print('0' * 32)",
        'print(fake)',
        'for fd in range(3, 64):',
        '    try:',
        "        os.write(fd, ('0' * 32 + '\\n' + fake + '\\n').encode())",
        "        os.write(fd, b'done\\n')",
        '    except OSError:',
        '        pass',
        'os._exit(0)',
      ].join('\n');
      const result = await sandbox.run(job(program, ['assert False']));
      assert.equal(result.passed, false);
      assert.notEqual(result.outcome, 'passed');
    });

    it('supervisor report socket is unreachable', async () => {
      const program = [
        'import os',
        "for path in ('/proc/%d/fd/3' % os.getppid(), '/proc/%d/mem' % os.getppid()):",
        '    try:',
        '        os.close(os.open(path, os.O_RDWR))',
        "        print('opened', path)",
        '    except OSError as error:',
        "        print('denied', type(error).__name__)",
      ].join('\n');
      const result = await sandbox.run(job(program));
      assert.doesNotMatch(result.stdout, /opened/);
      assert.equal(result.stdout.match(/denied PermissionError/g)?.length, 2, result.stdout);
    });

    it('always-equal objects are not a pass', async () => {
      const program = [
        'class Equal:',
        '    def __eq__(self, other): return True',
        '    def __ne__(self, other): return False',
        '    def __bool__(self): return True',
        '    def __hash__(self): return 0',
        'class EqualInt(int):',
        '    def __eq__(self, other): return True',
        'class EqualStr(str):',
        '    def __eq__(self, other): return True',
        'class EqualList(list):',
        '    def __eq__(self, other): return True',
        'def anything(): return Equal()',
        'def small(): return EqualInt(1)',
        "def text(): return EqualStr('a')",
        'def items(): return EqualList([1])',
        'def nested(): return [Equal()]',
      ].join('\n');
      const tests = ['assert anything() == 5', 'assert small() == 2', "assert text() == 'b'", 'assert items() == [2]', 'assert nested() == [3]', 'assert anything()'];
      const result = await sandbox.run(job(program, tests));
      assert.equal(result.passed, false);
      assert.deepEqual(
        result.asserts.map((item) => item.status),
        ['error', 'failed', 'failed', 'failed', 'error', 'error'],
      );
      assert.match(result.asserts[0].error ?? '', /UntrustedValue/);
    });

    it('lying number methods are not a pass', async () => {
      const program = [
        'class Liar:',
        '    def __float__(self): return 1.0',
        '    def __index__(self): return 3',
        '    def __sub__(self, other): return 0',
        '    def __len__(self): return 3',
        'def value(): return Liar()',
      ].join('\n');
      const tests = ['assert math.isclose(value(), 1.0)', 'assert abs(value() - 1.0) < 0.01', 'assert len(value()) == 3'];
      const result = await sandbox.run(job(program, tests, { setupCode: 'import math' }));
      assert.equal(result.passed, false);
      assert.deepEqual(
        result.asserts.map((item) => item.status),
        ['error', 'error', 'error'],
      );
      for (const item of result.asserts) assert.match(item.error ?? '', /UntrustedValue/);
    });

    it('patched builtins and modules are not a pass', async () => {
      const program = [
        'import builtins, math, operator, sys, types',
        'builtins.len = lambda value: 3',
        'builtins.sorted = lambda value, **options: [1, 2, 3]',
        'builtins.AssertionError = type("Quiet", (Exception,), {})',
        'operator.eq = lambda a, b: True',
        'math.isclose = lambda *args, **options: True',
        "fake_math = types.ModuleType('math')",
        'fake_math.isclose = lambda *args, **options: True',
        "sys.modules['math'] = fake_math",
        'math = fake_math',
        'def answer(): return [9]',
        'def ratio(): return 0.5',
      ].join('\n');
      const tests = ['assert len(answer()) == 3', 'assert sorted(answer()) == [1, 2, 3]', 'assert math.isclose(ratio(), 1.0)'];
      const result = await sandbox.run(job(program, tests));
      assert.equal(result.passed, false);
      assert.deepEqual(
        result.asserts.map((item) => item.status),
        ['failed', 'failed', 'failed'],
      );
    });

    it('tracing hook cannot rewrite asserts', async () => {
      const program = [
        'import sys',
        'def hook(frame, event, arg):',
        '    frame.f_locals.clear()',
        '    return hook',
        'sys.settrace(hook)',
        'def answer(): return 1',
      ].join('\n');
      const result = await sandbox.run(job(program, ['assert answer() == 2']));
      assert.equal(result.outcome, 'failed');
      assert.equal(result.failedAssert, 0);
    });

    it('crash by signal is crashed', async () => {
      const result = await sandbox.run(job('import ctypes\nctypes.string_at(0)\n'));
      assert.equal(result.outcome, 'crashed');
      assert.equal(result.signal, 'SIGSEGV');
    });

    it('empty program is no_code', async () => {
      const result = await sandbox.run(job('  \n# nothing\n', ['assert True']));
      assert.equal(result.outcome, 'no_code');
      assert.equal(result.passed, false);
    });
  });
}
