// Parsing of `hf:org/name[@revision][:file]` model specs.

import { InputError } from '../util/errors.js';

export const HUB_SPEC_PREFIX = 'hf:';

/** A model on the Hugging Face hub: repository, revision and, for GGUF repos, one file in it. */
export interface HubSpec {
  /** Repository id, `org/name`. */
  repo: string;
  /** Branch, tag or 40-hex commit hash; `main` when the spec has none. */
  revision: string;
  /** Path of one file in the repository (a GGUF file); undefined selects the Hugging Face folder files. */
  file?: string;
}

const NAME_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;
const REVISION = /^[A-Za-z0-9._/-]{1,200}$/;

export function isHubSpec(spec: string): boolean {
  return spec.startsWith(HUB_SPEC_PREFIX);
}

/** Parses `hf:org/name[@revision][:file]`; raises InputError naming the part that is invalid. */
export function parseHubSpec(spec: string): HubSpec {
  if (!isHubSpec(spec)) {
    throw new InputError(`model spec '${spec}' does not start with '${HUB_SPEC_PREFIX}'`, { expected: 'hf:org/name[@revision][:file]', found: spec });
  }
  const body = spec.slice(HUB_SPEC_PREFIX.length);

  // Neither repository ids nor git refs may contain ':', so the first one starts the file path.
  const colon = body.indexOf(':');
  const repoAndRevision = colon === -1 ? body : body.slice(0, colon);
  const file = colon === -1 ? undefined : body.slice(colon + 1);

  const at = repoAndRevision.indexOf('@');
  const repo = at === -1 ? repoAndRevision : repoAndRevision.slice(0, at);
  const revision = at === -1 ? 'main' : repoAndRevision.slice(at + 1);

  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((part) => NAME_PART.test(part) && !part.includes('..'))) {
    throw new InputError(`invalid repository id '${repo}' in model spec '${spec}': expected org/name of letters, digits, '.', '_' and '-'`, {
      source: spec,
      expected: 'org/name',
      found: repo,
    });
  }
  if (!REVISION.test(revision) || revision.includes('..') || revision.startsWith('/') || revision.endsWith('/')) {
    throw new InputError(`invalid revision '${revision}' in model spec '${spec}': expected a branch, tag or commit hash`, {
      source: spec,
      expected: 'branch, tag or commit hash',
      found: revision,
    });
  }
  if (file !== undefined) checkRepoFilePath(file, spec);
  return file === undefined ? { repo, revision } : { repo, revision, file };
}

/** Rejects file paths that could leave the snapshot folder once joined to it. */
export function checkRepoFilePath(file: string, source: string): void {
  const segments = file.split('/');
  const invalid =
    file.length === 0 ||
    file.length > 1000 ||
    file.includes('\\') ||
    file.includes('\0') ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..');
  if (invalid) {
    throw new InputError(`invalid file path '${file}' in ${source}: expected a relative path inside the repository`, {
      source,
      expected: 'relative path without empty, . or .. segments',
      found: file,
    });
  }
}

export function formatHubSpec(spec: HubSpec): string {
  const revision = spec.revision === 'main' ? '' : `@${spec.revision}`;
  const file = spec.file === undefined ? '' : `:${spec.file}`;
  return `${HUB_SPEC_PREFIX}${spec.repo}${revision}${file}`;
}
