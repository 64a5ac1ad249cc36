// The patch editor's text to a request body, and a dry run's answer to lines a person can check before applying.
import type { PatchResult } from './api';

export const patchTemplate = `{
  "reason": "why this change",
  "operations": [
    { "op": "addNode", "node": { "id": "extra", "type": "echo", "needs": [], "with": { "note": "added live" } } }
  ]
}`;

export function parsePatch(text: string): { body?: Record<string, unknown>; error?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { error: `the patch is not JSON: ${(e as Error).message}` };
  }
  if (Array.isArray(value)) value = { operations: value };
  if (typeof value !== 'object' || value === null) return { error: 'the patch must be an object with "operations" (or an array of operations)' };
  const body = value as Record<string, unknown>;
  if (!Array.isArray(body.operations) || body.operations.length === 0) return { error: 'the patch needs a non-empty "operations" array' };
  return { body };
}

export interface PreviewLine {
  kind: 'add' | 'remove' | 'change' | 'status';
  text: string;
}

export function previewLines(result: PatchResult): PreviewLine[] {
  return [
    ...result.nodesAdded.map((id) => ({ kind: 'add' as const, text: `node ${id} added` })),
    ...result.nodesRemoved.map((id) => ({ kind: 'remove' as const, text: `node ${id} removed` })),
    ...result.nodesChanged.map((id) => ({ kind: 'change' as const, text: `node ${id} changed` })),
    ...result.edgesAdded.map((e) => ({ kind: 'add' as const, text: `edge ${e} added` })),
    ...result.edgesRemoved.map((e) => ({ kind: 'remove' as const, text: `edge ${e} removed` })),
    ...result.readinessChanges.map((c) => ({ kind: 'status' as const, text: `status ${c}` })),
  ];
}
