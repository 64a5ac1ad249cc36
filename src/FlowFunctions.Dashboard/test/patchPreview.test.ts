import { describe, expect, it } from 'vitest';
import { parsePatch, patchTemplate, previewLines } from '../src/patchPreview';

describe('patch preview', () => {
  it('accepts the template and a bare array of operations', () => {
    expect(parsePatch(patchTemplate).body?.operations).toHaveLength(1);
    expect(parsePatch('[{"op":"removeNode","id":"a"}]').body).toEqual({ operations: [{ op: 'removeNode', id: 'a' }] });
  });

  it('explains a patch it cannot send', () => {
    expect(parsePatch('{').error).toMatch(/not JSON/);
    expect(parsePatch('{"operations": []}').error).toMatch(/non-empty "operations"/);
    expect(parsePatch('3').error).toMatch(/must be an object/);
  });

  it('lists every change of a dry run, additions, removals and status changes', () => {
    const lines = previewLines({
      dryRun: true,
      revision: 2,
      valid: true,
      errors: [],
      nodesAdded: ['extra'],
      nodesRemoved: ['old'],
      nodesChanged: ['b'],
      edgesAdded: ['b->extra'],
      edgesRemoved: [],
      readinessChanges: ['extra: Pending -> Ready'],
    });
    expect(lines).toEqual([
      { kind: 'add', text: 'node extra added' },
      { kind: 'remove', text: 'node old removed' },
      { kind: 'change', text: 'node b changed' },
      { kind: 'add', text: 'edge b->extra added' },
      { kind: 'status', text: 'status extra: Pending -> Ready' },
    ]);
  });
});
