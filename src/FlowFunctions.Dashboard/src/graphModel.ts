// From the API's graph document to what the dashboard draws: one box per spec node (a map is ONE box with its
// progress, whatever its item count), edges from needs to dependents, positions from dagre.
import dagre from '@dagrejs/dagre';
import type { GraphNode, MapProgress, Revision, RunGraph } from './api';

export type DiffMark = 'added' | 'removed' | 'changed';

export interface ModelNode {
  id: string;
  type: string;
  status: string;
  /** The second line: the type, or a map's progress such as `map 153/200 · 2 failed`. */
  caption: string;
  map?: MapProgress;
  diff?: DiffMark;
}

export interface ModelEdge {
  from: string;
  to: string;
  diff?: 'added' | 'removed';
}

export interface GraphModel {
  nodes: ModelNode[];
  edges: ModelEdge[];
}

export interface Placed extends ModelNode {
  x: number;
  y: number;
}

export interface Layout {
  nodes: Placed[];
  edges: (ModelEdge & { points: { x: number; y: number }[] })[];
  width: number;
  height: number;
}

export const nodeWidth = 172;
export const nodeHeight = 46;

export function mapCaption(map: MapProgress): string {
  return `map ${map.done}/${map.total}` + (map.failed > 0 ? ` · ${map.failed} failed` : '');
}

export function toModelNode(node: Pick<GraphNode, 'id' | 'type' | 'status' | 'map'>): ModelNode {
  return { id: node.id, type: node.type, status: node.status, caption: node.map ? mapCaption(node.map) : node.type, map: node.map };
}

export function buildModel(graph: Pick<RunGraph, 'nodes' | 'edges'>): GraphModel {
  return { nodes: graph.nodes.map(toModelNode), edges: graph.edges.map((e) => ({ from: e.from, to: e.to })) };
}

/** What the layout depends on: node ids and edges (statuses change colours, never positions). */
export function structureKey(model: GraphModel): string {
  return model.nodes.map((n) => n.id).join('\n') + '\n--\n' + model.edges.map((e) => `${e.from}->${e.to}`).join('\n');
}

/** Lays the graph out left to right. Large graphs use dagre's tight-tree ranker: a third of network-simplex's time. */
export function layoutModel(model: GraphModel): Layout {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 48, marginx: 16, marginy: 16, ranker: model.nodes.length > 300 ? 'tight-tree' : 'network-simplex' });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of model.nodes) g.setNode(n.id, { width: nodeWidth, height: nodeHeight });
  const edges = model.edges.filter((e) => g.hasNode(e.from) && g.hasNode(e.to));
  for (const e of edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const label = g.graph();
  return {
    nodes: model.nodes.map((n) => {
      const p = g.node(n.id);
      return { ...n, x: p.x - nodeWidth / 2, y: p.y - nodeHeight / 2 };
    }),
    edges: edges.map((e) => ({ ...e, points: g.edge(e.from, e.to).points ?? [] })),
    width: label.width ?? 0,
    height: label.height ?? 0,
  };
}

/** Same structure: keep the positions, take the new statuses and captions. */
export function restyle(layout: Layout, model: GraphModel): Layout {
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  return { ...layout, nodes: layout.nodes.map((p) => ({ ...p, ...byId.get(p.id)!, x: p.x, y: p.y })) };
}

const edgeKey = (e: { from: string; to: string }) => `${e.from}->${e.to}`;
const splitEdge = (text: string) => {
  const at = text.indexOf('->');
  return { from: text.slice(0, at), to: text.slice(at + 2) };
};

/**
 * The graph as it was at `revision`, rebuilt from the current graph by undoing the later mutations (newest first),
 * with the changes the next revision made marked: removed and changed nodes, and added nodes as ghosts.
 * Nodes that no longer exist have the status `Removed` (the API keeps no state for them).
 */
export function graphAtRevision(current: GraphModel, revisions: Revision[], revision: number): GraphModel {
  const nodes = new Map(current.nodes.map((n) => [n.id, { ...n, diff: undefined } as ModelNode]));
  const edges = new Map(current.edges.map((e) => [edgeKey(e), { ...e, diff: undefined } as ModelEdge]));
  const later = revisions.filter((r) => r.revision > revision).sort((a, b) => b.revision - a.revision);
  for (const m of later) {
    for (const id of m.result.nodesAdded) nodes.delete(id);
    for (const id of m.result.nodesRemoved) if (!nodes.has(id)) nodes.set(id, { id, type: '?', status: 'Removed', caption: 'removed later' });
    for (const e of m.result.edgesAdded) edges.delete(e);
    for (const e of m.result.edgesRemoved) edges.set(e, splitEdge(e));
  }
  const next = revisions.find((r) => r.revision === revision + 1);
  if (next) {
    for (const id of next.result.nodesRemoved) nodes.get(id)!.diff = 'removed';
    for (const id of next.result.nodesChanged) if (nodes.has(id)) nodes.get(id)!.diff = 'changed';
    for (const id of next.result.nodesAdded) {
      const now = current.nodes.find((n) => n.id === id);
      nodes.set(id, { ...(now ?? { id, type: '?', status: 'Removed', caption: '' }), diff: 'added' });
    }
    for (const e of next.result.edgesRemoved) edges.set(e, { ...splitEdge(e), diff: 'removed' });
    for (const e of next.result.edgesAdded) edges.set(e, { ...splitEdge(e), diff: 'added' });
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}
