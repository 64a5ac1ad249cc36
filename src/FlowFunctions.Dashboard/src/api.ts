// The dashboard's only way to the host: the public HTTP API under /api (docs/api.md).

const keyStorage = 'flowfunctions.apiKey';

/** An answer that was not 2xx, with the RFC 9457 problem document when the API sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | null,
  ) {
    super(problem?.detail ?? problem?.title ?? `the API answered ${status}`);
  }
}

export interface Problem {
  type?: string;
  title?: string;
  detail?: string;
  errors?: unknown[];
  [member: string]: unknown;
}

export const apiKey = {
  get: (): string => localStorage.getItem(keyStorage) ?? '',
  set: (key: string) => (key ? localStorage.setItem(keyStorage, key) : localStorage.removeItem(keyStorage)),
};

const unauthorizedListeners = new Set<() => void>();

/** Called when the API answers 401: the page asks for a key. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

async function send(method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const key = apiKey.get();
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    if (response.status === 401) unauthorizedListeners.forEach((l) => l());
    let problem: Problem | null = null;
    try {
      problem = (await response.json()) as Problem;
    } catch {
      problem = null;
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

export async function getJson<T>(path: string): Promise<T> {
  return (await (await send('GET', path)).json()) as T;
}

export async function getText(path: string): Promise<string> {
  return (await send('GET', path)).text();
}

export async function postJson<T>(path: string, body: unknown = {}): Promise<T> {
  return (await (await send('POST', path, body)).json()) as T;
}

/** A problem's detail and its listed errors, for showing under a form. */
export function describeError(error: unknown): string[] {
  if (error instanceof ApiError) {
    const lines = [error.message];
    for (const e of error.problem?.errors ?? []) {
      lines.push(typeof e === 'string' ? e : typeof e === 'object' && e && 'message' in e ? `${(e as { path?: string }).path ?? ''} ${(e as { message: string }).message}`.trim() : JSON.stringify(e));
    }
    if (error.status === 401) lines.push('Set the API key (the key button at the top right) to one of the host\'s FlowFunctions:ApiKeys.');
    return lines;
  }
  if (error instanceof TypeError) return [`the host did not answer (${error.message}); is FlowFunctions.Host running?`];
  return [String(error)];
}

export const runPath = (runId: string) => `/api/runs/${encodeURIComponent(runId)}`;
export const nodePath = (runId: string, nodeId: string) => `${runPath(runId)}/nodes/${encodeURIComponent(nodeId)}`;

export interface RunSummary {
  runId: string;
  workflow: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  nodesDone: number;
  nodesTotal: number;
}

export interface RunList {
  runs: RunSummary[];
  continuationToken: string | null;
}

export interface MapProgress {
  total: number;
  done: number;
  failed: number;
  running: number;
}

export interface GraphNode {
  id: string;
  type: string;
  status: string;
  attempts: number;
  needs: string[];
  description?: string;
  map?: MapProgress;
}

export interface RunGraph {
  runId: string;
  status: string;
  graphRevision: number;
  nodes: GraphNode[];
  edges: { from: string; to: string }[];
}

export interface RunDocument {
  runId: string;
  status: string;
  workflow: string;
  workflowVersion: number;
  reason: string | null;
  startedAt: string | null;
  completedAt: string | null;
  graphRevision: number;
  specUrl: string;
  inputs: unknown;
  outputs?: unknown;
}

export interface HistoryEntry {
  at: string;
  nodeId: string;
  from: string | null;
  to: string | null;
  attempt: number;
  detail: string | null;
  /** Who caused it (a command's key name or principal: key:ops, user:ana@contoso.com); absent for the engine's own work. */
  actor?: string;
}

export interface ValueRef {
  hash: string;
  url: string;
}

export interface NodeDetail {
  id: string;
  type: string;
  status: string;
  attempts: number;
  reason: string | null;
  startedAt: string | null;
  completedAt: string | null;
  error: { message: string; class: string; attempt: number } | null;
  input?: unknown;
  output?: unknown;
  inputRef?: ValueRef;
  outputRef?: ValueRef;
  /** Set on a map child: its map's id (children are redriven through their map). */
  map?: string;
  mapProgress?: MapProgress;
  children?: { id: string; index: number; status: string; attempts: number }[];
}

export interface PatchResult {
  dryRun: boolean;
  revision: number;
  valid: boolean;
  errors: string[];
  nodesAdded: string[];
  nodesRemoved: string[];
  nodesChanged: string[];
  edgesAdded: string[];
  edgesRemoved: string[];
  readinessChanges: string[];
}

export interface WorkflowSummary {
  name: string;
  latestVersion: number;
  description: string | null;
  versions: number;
}

export interface WorkflowVersion {
  name: string;
  version: number;
  hash: string;
  registeredAt: string;
  description: string | null;
  specUrl: string;
}

export interface Revision {
  revision: number;
  author: string | null;
  at: string;
  reason: string | null;
  patch: unknown;
  result: { nodesAdded: string[]; nodesRemoved: string[]; nodesChanged: string[]; edgesAdded: string[]; edgesRemoved: string[] };
}
