// Claiming unprivileged uids for the workers of a sandbox started as root.
//
// Each job's processes run as a uid that no account and no other sandbox on
// this machine uses, so RLIMIT_NPROC counts only that job and kill(-1) from
// that uid reaches only that job. Claims are files created with O_EXCL under
// the temporary folder, holding the claiming process's pid.

import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { InputError } from '../util/errors.js';

const CLAIM_DIR = path.join(os.tmpdir(), 'nir-sandbox-uids');
/** How many uids above uidBase are tried before giving up. */
const UID_SPAN = 4096;

/** Claim `count` uids at or above `base`; skips uids of accounts and of live sandboxes. */
export function claimUids(base: number, count: number): number[] {
  mkdirSync(CLAIM_DIR, { recursive: true, mode: 0o700 });
  const accounts = accountUids();
  const claimed: number[] = [];
  for (let uid = base; uid < base + UID_SPAN && claimed.length < count; uid++) {
    if (!accounts.has(uid) && tryClaim(uid)) claimed.push(uid);
  }
  if (claimed.length < count) {
    releaseUids(claimed);
    throw new InputError(`only ${claimed.length} of ${count} free sandbox uids in ${base}..${base + UID_SPAN - 1}`, {
      source: CLAIM_DIR,
      expected: `${count} uids not used by accounts or other sandboxes`,
      found: `${claimed.length}`,
      hint: 'close other sandboxes or choose another uidBase option',
    });
  }
  return claimed;
}

export function releaseUids(uids: number[]): void {
  for (const uid of uids) rmSync(claimFile(uid), { force: true });
}

function claimFile(uid: number): string {
  return path.join(CLAIM_DIR, String(uid));
}

function tryClaim(uid: number): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(claimFile(uid), 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (ownerAlive(uid)) return false;
    // The claiming process ended without close(): take the uid over.
    rmSync(claimFile(uid), { force: true });
  }
  return false;
}

function ownerAlive(uid: number): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(claimFile(uid), 'utf8'));
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function accountUids(): Set<number> {
  const uids = new Set<number>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const uid = Number(line.split(':')[2]);
      if (Number.isInteger(uid)) uids.add(uid);
    }
  } catch {
    // No /etc/passwd (unusual); claims still keep sandboxes apart.
  }
  return uids;
}
