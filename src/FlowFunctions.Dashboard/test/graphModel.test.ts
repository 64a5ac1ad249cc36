import { describe, expect, it } from 'vitest';
import type { Revision, RunGraph } from '../src/api';
import { buildModel, graphAtRevision, layoutModel, restyle, structureKey } from '../src/graphModel';

const graph: RunGraph = {
  runId: 'r',
  status: 'Running',
  graphRevision: 0,
  nodes: [
    { id: 'list', type: 'echo', status: 'Succeeded', attempts: 1, needs: [] },
    { id: 'each', type: 'map', status: 'Running', attempts: 1, needs: ['list'], map: { total: 200, done: 153, failed: 2, running: 10 } },
    { id: 'count', type: 'transform', status: 'Pending', attempts: 0, needs: ['each'] },
  ],
  edges: [
    { from: 'list', to: 'each' },
    { from: 'each', to: 'count' },
  ],
};

describe('buildModel', () => {
  it('draws a map as one node with its progress and failed count, whatever its item count', () => {
    const model = buildModel(graph);
    expect(model.nodes).toHaveLength(3);
    expect(model.nodes[1]).toMatchObject({ id: 'each', caption: 'map 153/200 · 2 failed', status: 'Running' });
    expect(model.nodes[0].caption).toBe('echo');
  });

  it('keeps an unknown status as it is (a newer host may send Cached or Waiting)', () => {
    const model = buildModel({ nodes: [{ id: 'a', type: 'http', status: 'SomethingNew', attempts: 0, needs: [] }], edges: [] });
    expect(model.nodes[0].status).toBe('SomethingNew');
  });

  it('has a structure key that ignores statuses, so polling never re-lays out the graph', () => {
    const later = { ...graph, nodes: graph.nodes.map((n) => ({ ...n, status: 'Succeeded' })) };
    expect(structureKey(buildModel(later))).toBe(structureKey(buildModel(graph)));
    const patched = { ...graph, edges: [...graph.edges, { from: 'list', to: 'count' }] };
    expect(structureKey(buildModel(patched))).not.toBe(structureKey(buildModel(graph)));
  });
});

describe('layoutModel', () => {
  it('places dependents right of their needs and keeps positions when only statuses change', () => {
    const layout = layoutModel(buildModel(graph));
    const x = Object.fromEntries(layout.nodes.map((n) => [n.id, n.x]));
    expect(x.list).toBeLessThan(x.each);
    expect(x.each).toBeLessThan(x.count);
    expect(layout.edges.every((e) => e.points.length >= 2)).toBe(true);
    const restyled = restyle(layout, buildModel({ ...graph, nodes: graph.nodes.map((n) => ({ ...n, status: 'Failed' })) }));
    expect(restyled.nodes.map((n) => [n.x, n.y])).toEqual(layout.nodes.map((n) => [n.x, n.y]));
    expect(restyled.nodes.every((n) => n.status === 'Failed')).toBe(true);
  });
});

describe('graphAtRevision', () => {
  const revisions: Revision[] = [
    {
      revision: 1,
      author: 'dashboard',
      at: '2026-01-01T00:00:00Z',
      reason: 'add extra',
      patch: {},
      result: { nodesAdded: ['extra'], nodesRemoved: ['old'], nodesChanged: ['count'], edgesAdded: ['count->extra'], edgesRemoved: ['old->count'] },
    },
  ];
  const now = buildModel({
    nodes: [...graph.nodes, { id: 'extra', type: 'echo', status: 'Pending', attempts: 0, needs: ['count'] }],
    edges: [...graph.edges, { from: 'count', to: 'extra' }],
  });

  it('rebuilds the earlier graph and marks what the next revision changed', () => {
    const r0 = graphAtRevision(now, revisions, 0);
    const byId = Object.fromEntries(r0.nodes.map((n) => [n.id, n]));
    expect(byId.old).toMatchObject({ status: 'Removed', diff: 'removed' });
    expect(byId.extra.diff).toBe('added');
    expect(byId.count.diff).toBe('changed');
    expect(r0.edges.find((e) => e.from === 'old' && e.to === 'count')?.diff).toBe('removed');
    expect(r0.edges.find((e) => e.from === 'count' && e.to === 'extra')?.diff).toBe('added');
  });

  it('shows the current graph unmarked at the current revision', () => {
    const r1 = graphAtRevision(now, revisions, 1);
    expect(r1.nodes.map((n) => n.id).sort()).toEqual(['count', 'each', 'extra', 'list']);
    expect(r1.nodes.every((n) => n.diff === undefined)).toBe(true);
  });
});
