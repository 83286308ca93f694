// Errors of hub downloads, with the repository and HTTP status so the command line can show them.

import { InputError } from '../util/errors.js';

export class HubError extends InputError {
  constructor(
    message: string,
    readonly repo: string,
    readonly status?: number,
    hint?: string,
  ) {
    super(hint ? `${message}. ${hint}` : message, { source: repo, hint });
    this.name = 'HubError';
  }
}

/** Builds the error for a failed hub request: gated or private (401/403), not found (404) or any other status. */
export function hubStatusError(repo: string, status: number, resource: string, endpoint: string): HubError {
  const page = `${endpoint}/${repo}`;
  if (status === 401 || status === 403) {
    // huggingface.co returns 401 for private repositories and for gated ones without a token, and 403 when the token lacks access.
    return new HubError(
      `access to ${repo} was denied (HTTP ${status}) while requesting ${resource}: the model is gated or private, or does not exist`,
      repo,
      status,
      `Accept the licence on ${page} while logged in, then set HF_TOKEN to an access token with read permission and run again`,
    );
  }
  if (status === 404) {
    return new HubError(`${resource} not found on ${endpoint} (HTTP 404)`, repo, status, `Check the repository id, revision and file name on ${page}`);
  }
  return new HubError(`request for ${resource} failed with HTTP ${status}`, repo, status, `Try again later, or use HF_HUB_OFFLINE=1 to use the local cache`);
}
