// Finding the interpreter and bubblewrap, and building the bwrap command line.

import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

import { InputError } from '../util/errors.js';

const execFileAsync = promisify(execFile);

/** Location of the chosen interpreter; every path here must be visible inside the sandbox. */
export interface PythonInstall {
  executable: string;
  /** Install prefixes (sys.prefix, sys.base_prefix, ...), deduplicated, absolute. */
  prefixes: string[];
  version: string;
}

/** Paths of the scratch folder and the harness inside bubblewrap. */
export const SANDBOX_WORK_DIR = '/sandbox/work';
export const SANDBOX_HARNESS_DIR = '/sandbox/harness';

/** Resolve `python` (a name on PATH or a path) to its real executable and install prefixes. */
export async function resolvePython(python: string): Promise<PythonInstall> {
  const probe =
    'import json, os, sys; print(json.dumps([os.path.realpath(sys.executable), sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, sys.version.split()[0]]))';
  let output: string;
  try {
    ({ stdout: output } = await execFileAsync(python, ['-c', probe], { timeout: 20_000 }));
  } catch (cause) {
    throw new InputError(`failed to start the Python interpreter '${python}': ${(cause as Error).message}`, {
      source: python,
      expected: 'a working python3 executable',
      found: (cause as Error).message,
      hint: 'install python3 or pass the interpreter path in the `python` option',
    });
  }
  const fields = JSON.parse(output) as string[];
  const [executable, ...rest] = fields;
  const version = rest.pop() as string;
  const major = Number(version.split('.')[0]);
  if (major !== 3) {
    throw new InputError(`'${python}' is Python ${version}, but the harness needs Python 3`, {
      source: python,
      expected: 'Python 3',
      found: version,
    });
  }
  const prefixes = [...new Set(rest.map((prefix) => path.resolve(prefix)))];
  return { executable, prefixes, version };
}

/** Return the path of bwrap on PATH, or undefined where bubblewrap is not installed (always on macOS). */
export function findBubblewrap(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'bwrap');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface BwrapLayout {
  bwrap: string;
  python: PythonInstall;
  harnessFiles: string[];
  scratchDir: string;
  /** Real root: bwrap keeps CAP_SETUID and CAP_SETGID so the harness can switch to the job's uid. */
  runningAsRoot: boolean;
}

/** System folders bound read-only (or recreated as the same symlinks) for the interpreter and its libraries. */
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_FILES = ['/etc/alternatives', '/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/localtime'];

/**
 * Build the bwrap arguments that run the harness with no network, a private
 * /tmp and /proc, and only /usr, the library folders, the interpreter's
 * prefixes, the harness files and the scratch folder visible.
 */
export function bwrapArgs(layout: BwrapLayout): string[] {
  const args = [
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-net',
    '--unshare-uts',
    '--unshare-cgroup-try',
    // Root keeps the real uid 0 outside a user namespace, so the harness can switch to an unprivileged uid.
    ...(layout.runningAsRoot ? [] : ['--unshare-user']),
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    '--setenv', 'PATH', '/usr/local/bin:/usr/bin:/bin',
    '--setenv', 'HOME', SANDBOX_WORK_DIR,
    '--setenv', 'TMPDIR', SANDBOX_WORK_DIR,
    '--setenv', 'LANG', 'C.UTF-8',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const dir of SYSTEM_DIRS) args.push(...bindSystemDir(dir));
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);

  const created = new Set<string>(['/', '/usr', '/tmp', '/proc', '/dev', '/etc']);
  for (const prefix of layout.python.prefixes) {
    if (isInside(prefix, '/usr')) continue;
    // Parents of a bind are created with mode 0700 by default, which the unprivileged uid could not enter.
    for (const parent of ancestors(prefix)) {
      if (created.has(parent)) continue;
      created.add(parent);
      args.push('--perms', '0755', '--dir', parent);
    }
    args.push('--ro-bind', prefix, prefix);
  }

  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  args.push('--perms', '0755', '--dir', '/sandbox', '--perms', '0755', '--dir', SANDBOX_HARNESS_DIR);
  for (const file of layout.harnessFiles) {
    args.push('--ro-bind', file, path.posix.join(SANDBOX_HARNESS_DIR, path.basename(file)));
  }
  args.push('--bind', layout.scratchDir, SANDBOX_WORK_DIR, '--chdir', SANDBOX_WORK_DIR);
  if (layout.runningAsRoot) {
    args.push('--cap-drop', 'ALL', '--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID');
  }
  return args;
}

function bindSystemDir(dir: string): string[] {
  let stats;
  try {
    stats = lstatSync(dir);
  } catch {
    return [];
  }
  if (stats.isSymbolicLink()) return ['--symlink', readlinkSync(dir), dir];
  if (stats.isDirectory()) return ['--ro-bind', dir, dir];
  return [];
}

function ancestors(dir: string): string[] {
  const parents: string[] = [];
  let current = path.dirname(dir);
  while (current !== '/' && current !== '.') {
    parents.unshift(current);
    current = path.dirname(current);
  }
  return parents;
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** Check that `file` exists and is a regular file; used for the harness scripts. */
export function requireFile(file: string, what: string): void {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new InputError(`${what} not found at ${file}`, {
      source: file,
      expected: 'a readable file',
      found: 'nothing',
      hint: 'run from a complete checkout of the repository (python/ sits next to dist/)',
    });
  }
}
