"""Trusted harness: run one untrusted program, then judge its MBPP asserts.

Protocol with the sandbox (src/sandbox/process.ts):
  stdin  one JSON object: program, setupCode, tests, challengeTests,
         timeoutMs, limits, and optionally uid/gid to switch to.
  fd 3   a socket. The harness reads the per-run nonce from it only after
         the program's process was forked without it, and writes the report
         there: the nonce line, then one JSON line.
  stdout, stderr  the program's own output.

Two processes take part. This one (the supervisor) never runs program code.
It forks a child that closes fd 3, applies the resource limits, runs the
program, the setup code and then each assert through harness_asserts, and
sends one line per result over a pipe. Being a separate, non-dumpable
process, the supervisor keeps the nonce and fd 3 out of the program's reach.
"""

import os
import sys

import harness_asserts  # noqa: E402 - must load before any program code runs

import json
import resource
import select
import signal
import time

REPORT_FD = 3
MAX_CHILD_MESSAGES_BYTES = 8 * 1024 * 1024
NONCE_MAX_BYTES = 256

_write = os.write
_exit = os._exit
_encode = str.encode
_hex = bytes.hex
_stdout = sys.stdout
_stderr = sys.stderr
_settrace = sys.settrace
_setprofile = sys.setprofile
_exec = exec
_compile = compile


# ---------------------------------------------------------------- supervisor


def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def read_nonce():
    data = b''
    while not data.endswith(b'\n'):
        chunk = os.read(REPORT_FD, 1)
        if not chunk or len(data) > NONCE_MAX_BYTES:
            raise RuntimeError('the sandbox sent no nonce on fd 3')
        data += chunk
    return data[:-1].decode('ascii')


def set_limit(name, soft, hard, warnings):
    """Set one RLIMIT, recording a warning where the platform rejects it (macOS and RLIMIT_AS)."""
    if soft is None:
        return
    limit = getattr(resource, name, None)
    if limit is None:
        warnings.append('%s is not available on this platform' % name)
        return
    try:
        resource.setrlimit(limit, (soft, hard))
    except (ValueError, OSError) as error:
        warnings.append('setrlimit(%s, %s) failed: %s' % (name, soft, error))


def drop_privileges(job):
    """Switch to the unprivileged uid the sandbox chose, so RLIMIT_NPROC applies."""
    uid = job.get('uid')
    if uid is None:
        return
    gid = job.get('gid', uid)
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise RuntimeError('failed to switch to uid %d' % uid)


PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def set_process_controls(warnings):
    """Make this process non-dumpable and a child subreaper (Linux only).

    Non-dumpable forbids ptrace and /proc/<pid>/fd access by processes of the
    same uid, so the program cannot reach fd 3 through /proc. As subreaper
    this process inherits the program's orphans and can reap them, so no
    zombie is left to count against RLIMIT_NPROC.
    """
    if not sys.platform.startswith('linux'):
        warnings.append('prctl is Linux only: the supervisor stays dumpable and orphans go to init')
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        for option, value, name in ((PR_SET_DUMPABLE, 0, 'PR_SET_DUMPABLE'), (PR_SET_CHILD_SUBREAPER, 1, 'PR_SET_CHILD_SUBREAPER')):
            if libc.prctl(option, value, 0, 0, 0) != 0:
                warnings.append('prctl(%s) failed with errno %d' % (name, ctypes.get_errno()))
    except (OSError, AttributeError) as error:
        warnings.append('prctl is not available: %s' % error)


def reap_descendants(exclusive_uid):
    """Kill and reap what the program left behind.

    With a uid of its own (exclusive_uid), kill(-1) reaches every process the
    program started, even those that left the process group, and the wait
    can block until all are gone. Otherwise only finished ones are reaped.
    """
    if exclusive_uid:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while True:
        try:
            pid, _ = os.waitpid(-1, 0 if exclusive_uid else os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def close_inherited_fds():
    """Close every fd except stdin, stdout, stderr and the report socket."""
    os.closerange(REPORT_FD + 1, 1 << 16)


def wait_for_child(pid, reader, deadline):
    """Collect the child's messages until it exits or the deadline passes.

    Returns (messages bytes, wait status or None when timed out). A process
    the program forked may keep the pipe open after the child exited, so the
    child's exit, not the pipe's end, ends the wait.
    """
    chunks = []
    size = 0
    pidfd = None
    if hasattr(os, 'pidfd_open'):
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            pidfd = None
    watched = [reader] + ([pidfd] if pidfd is not None else [])
    reader_open = True
    status = None
    while status is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        wait_s = remaining if pidfd is not None else min(remaining, 0.01)
        ready, _, _ = select.select(watched if reader_open else watched[1:], [], [], wait_s)
        if reader in ready:
            chunk = os.read(reader, 1 << 16)
            if not chunk:
                reader_open = False
            elif size < MAX_CHILD_MESSAGES_BYTES:
                chunks.append(chunk)
                size += len(chunk)
        finished, wait_status = os.waitpid(pid, os.WNOHANG)
        if finished:
            status = wait_status
    if pidfd is not None:
        os.close(pidfd)
    if status is not None and reader_open:
        chunks.append(read_available(reader))
    return b''.join(chunks), status


def read_available(fd):
    os.set_blocking(fd, False)
    chunks = []
    try:
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    except BlockingIOError:
        pass
    return b''.join(chunks)


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def decode_messages(data):
    """Parse the child's tab-separated lines; fields after the kind are hex-encoded UTF-8."""
    messages = []
    for line in data.split(b'\n'):
        if not line:
            continue
        fields = line.split(b'\t')
        try:
            kind = fields[0].decode('ascii')
            values = [bytes.fromhex(field.decode('ascii')).decode('utf-8', 'replace') for field in fields[1:]]
        except ValueError:
            messages.append({'kind': 'garbled'})
            continue
        messages.append({'kind': kind, 'values': values})
    return messages


def build_report(messages, status, timed_out, warnings):
    report = {
        'timedOut': timed_out,
        'done': False,
        'programError': None,
        'tests': [],
        'challenge': [],
        'garbled': False,
        'limitWarnings': warnings,
    }
    for message in messages:
        kind = message['kind']
        values = message.get('values', [])
        if kind == 'program_error' and len(values) == 3:
            report['programError'] = {'phase': values[0], 'type': values[1], 'message': values[2]}
        elif kind in ('tests', 'challenge') and len(values) == 3:
            report[kind].append({'status': values[0], 'errorType': values[1] or None, 'message': values[2] or None})
        elif kind == 'done':
            report['done'] = True
        elif kind == 'limit_warning' and len(values) == 1:
            warnings.append(values[0])
        else:
            report['garbled'] = True
    if status is not None:
        if os.WIFSIGNALED(status):
            report['signal'] = signal.Signals(os.WTERMSIG(status)).name
        else:
            report['exitCode'] = os.waitstatus_to_exitcode(status)
    return report


def supervise():
    job = json.loads(read_all(0))
    null_fd = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null_fd, 0)
    os.close(null_fd)
    close_inherited_fds()

    warnings = []
    limits = job.get('limits', {})
    set_limit('RLIMIT_CORE', 0, 0, warnings)
    processes = limits.get('processes')
    set_limit('RLIMIT_NPROC', processes, processes, warnings)
    drop_privileges(job)
    set_process_controls(warnings)
    # The harness directory must not shadow modules the program imports.
    if sys.path and os.path.dirname(os.path.abspath(__file__)) == os.path.abspath(sys.path[0] or '.'):
        del sys.path[0]

    tests = [harness_asserts.CompiledAssert(source) for source in job['tests']]
    challenge = [harness_asserts.CompiledAssert(source) for source in job['challengeTests']]

    reader, writer = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(reader)
        run_child(job, limits, tests, challenge, writer)
    os.close(writer)

    nonce = read_nonce()
    deadline = started + job['timeoutMs'] / 1000.0
    data, status = wait_for_child(pid, reader, deadline)
    timed_out = status is None
    kill_group(pid)
    if timed_out:
        _, status = os.waitpid(pid, 0)
    reap_descendants(bool(job.get('exclusiveUid')))
    report = build_report(decode_messages(data), status, timed_out, warnings)

    payload = (nonce + '\n' + json.dumps(report) + '\n').encode('utf-8')
    view = memoryview(payload)
    while view:
        written = os.write(REPORT_FD, view)
        view = view[written:]
    os.close(REPORT_FD)


# ---------------------------------------------------------------- child


def send(writer, kind, *values):
    fields = [kind] + [_hex(_encode('' if value is None else value, 'utf-8', 'replace')) for value in values]
    _write(writer, _encode('\t'.join(fields) + '\n', 'ascii'))


def flush_output():
    for stream in (_stdout, _stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001 - the program may have broken the stream
            pass


def apply_child_limits(limits, writer):
    warnings = []
    memory = limits.get('memoryBytes')
    set_limit('RLIMIT_AS', memory, memory, warnings)
    cpu = limits.get('cpuSeconds')
    set_limit('RLIMIT_CPU', cpu, None if cpu is None else cpu + 1, warnings)
    file_bytes = limits.get('fileBytes')
    set_limit('RLIMIT_FSIZE', file_bytes, file_bytes, warnings)
    open_files = limits.get('openFiles')
    set_limit('RLIMIT_NOFILE', open_files, open_files, warnings)
    for warning in warnings:
        send(writer, 'limit_warning', warning)


def run_phase(writer, phase, source, filename, namespace):
    """Execute program or setup code; on an exception report it and end the child."""
    try:
        _exec(_compile(source, filename, 'exec'), namespace)
    except BaseException as error:  # noqa: BLE001 - SystemExit and KeyboardInterrupt end the program too
        flush_output()
        error_type, message = harness_asserts.describe_exception(error)
        send(writer, 'program_error', phase, error_type, message)
        _exit(0)
    finally:
        _settrace(None)
        _setprofile(None)


def run_child(job, limits, tests, challenge, writer):
    try:
        os.close(REPORT_FD)
        os.setpgid(0, 0)
        apply_child_limits(limits, writer)
        namespace = {'__name__': '__main__', '__builtins__': harness_asserts.builtins}
        run_phase(writer, 'program', job['program'], '<program>', namespace)
        harness_asserts.restore_modules()
        if job['setupCode'].strip():
            run_phase(writer, 'setup', job['setupCode'], '<setup>', namespace)
            harness_asserts.restore_modules()
        flush_output()
        for kind, compiled_asserts in (('tests', tests), ('challenge', challenge)):
            for compiled in compiled_asserts:
                status, error_type, message = harness_asserts.evaluate(compiled, namespace)
                _settrace(None)
                _setprofile(None)
                harness_asserts.restore_modules()
                send(writer, kind, status, error_type, message)
        flush_output()
        send(writer, 'done')
    finally:
        # Skip atexit handlers, finalizers and anything else the program scheduled.
        _exit(0)


if __name__ == '__main__':
    supervise()
