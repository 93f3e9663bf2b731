/**
 * Typed calls to the server extension's REST API (/plumbline/*).
 * ServerConnection adds Jupyter's token and XSRF headers to every request.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { IChanges } from './changes';

export interface IServerConfig {
  version: string;
  db_path: string;
  schema_version: number;
  /** Why the store could not be opened, if it could not. */
  problem: string | null;
  /** git's user.name in the server root: default owner of new components. */
  git_user_name: string | null;
}

/** One built-in check, as the server describes it for the component dialog. */
export interface ICheckInfo {
  name: string;
  title: string;
  description: string;
  args: string[];
  /** Variables the check may also receive, after `args`. */
  optional_args?: string[];
  /** When the check makes sense: before the cell (inputs) or after it (outputs). */
  default_when?: 'before' | 'after';
  params: {
    type?: string;
    properties?: { [name: string]: { default?: unknown; description?: string; type?: unknown } };
  };
}

export class PlumblineAPIError extends Error {
  constructor(
    message: string,
    /** The HTTP status of the refusal (0: none). */
    readonly status = 0,
    /** The refusal's JSON body (e.g. the compiler's `problems`), when it had one. */
    readonly body: { [key: string]: unknown } | null = null
  ) {
    super(message);
  }
}

export async function request(
  endPoint: string,
  init: RequestInit = {},
  settings = ServerConnection.makeSettings()
): Promise<Response> {
  const url = URLExt.join(settings.baseUrl, 'plumbline', endPoint);
  if (init.body !== undefined) {
    // The server refuses writes of any other type (415).
    init = { ...init, headers: { 'Content-Type': 'application/json', ...init.headers } };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  if (!response.ok) {
    let message = response.statusText;
    let body: { [key: string]: unknown } | null = null;
    try {
      body = await response.json();
      message = (body?.message as string) || message;
    } catch {
      // not JSON: keep the status text
    }
    throw new PlumblineAPIError(message, response.status, body);
  }
  return response;
}

export async function fetchConfig(): Promise<IServerConfig> {
  return (await request('config')).json();
}

export async function fetchSnapshot(): Promise<{
  bytes: Uint8Array;
  seq: number;
}> {
  const response = await request('snapshot');
  const seq = Number(response.headers.get('X-Plumbline-Seq'));
  if (!Number.isInteger(seq)) {
    throw new PlumblineAPIError('The snapshot response has no sequence number.');
  }
  return { bytes: new Uint8Array(await response.arrayBuffer()), seq };
}

export async function fetchChanges(since: number): Promise<IChanges> {
  return (await request(`changes?since=${encodeURIComponent(since)}`)).json();
}

export async function saveRunNote(runId: string, text: string): Promise<void> {
  await request(`runs/${encodeURIComponent(runId)}/notes`, {
    method: 'PUT',
    body: JSON.stringify({ text })
  });
}

export async function fetchCheckCatalog(): Promise<ICheckInfo[]> {
  return (await (await request('checks/catalog')).json()).checks;
}

/** Flag an output as wrong (or clear the flag); review ranks what flagged outputs share. */
export async function saveFlag(ioId: string, flagged: boolean, note?: string): Promise<void> {
  await request('flags', {
    method: 'PUT',
    body: JSON.stringify({ io_id: ioId, flagged, note: note ?? null })
  });
}
