import { describe, expect, it } from 'vitest';
import type { RunGraph, RunSummary } from '../src/api';
import { emptyFilter, filterFromSearch, filterToSearch, planCancel, planRedrive, runsQuery } from '../src/runsFilter';

const run = (runId: string, status: string): RunSummary => ({ runId, workflow: 'w', status, createdAt: '', updatedAt: '', nodesDone: 0, nodesTotal: 1 });

describe('runs filter', () => {
  it('round-trips through the page URL and leaves empty fields out', () => {
    const f = { ...emptyFilter, status: 'Failed', workflow: 'etl' };
    expect(filterToSearch(f)).toBe('?status=Failed&workflow=etl');
    expect(filterFromSearch(filterToSearch(f))).toEqual(f);
    expect(filterToSearch(emptyFilter)).toBe('');
  });

  it('builds the API query with ISO times, the page size and the continuation token', () => {
    const { url } = runsQuery({ status: 'Running', workflow: ' etl ', from: '2026-01-02T03:04', to: '' }, 25, 'tok');
    const q = new URL(url!, 'http://x').searchParams;
    expect(q.get('status')).toBe('Running');
    expect(q.get('workflow')).toBe('etl');
    expect(q.get('createdFrom')).toBe(new Date('2026-01-02T03:04').toISOString());
    expect(q.has('createdTo')).toBe(false);
    expect(q.get('limit')).toBe('25');
    expect(q.get('continuationToken')).toBe('tok');
  });

  it('says what is wrong with a filter instead of querying', () => {
    expect(runsQuery({ ...emptyFilter, from: '2026-02-01T00:00', to: '2026-01-01T00:00' }, 10).error).toMatch(/after/);
    expect(runsQuery({ ...emptyFilter, status: 'Done' }, 10).error).toMatch(/unknown status 'Done'/);
  });
});

describe('bulk previews', () => {
  it('cancels only running and paused runs and says why it skips the others', () => {
    const plan = planCancel([run('a', 'Running'), run('b', 'Succeeded'), run('c', 'Paused')]);
    expect(plan.act.map((r) => r.runId)).toEqual(['a', 'c']);
    expect(plan.skip).toEqual([{ runId: 'b', why: 'already Succeeded' }]);
  });

  it('redrives the failed nodes of runs that can be redriven', () => {
    const graph = (statuses: Record<string, string>): RunGraph => ({
      runId: '',
      status: '',
      graphRevision: 0,
      edges: [],
      nodes: Object.entries(statuses).map(([id, status]) => ({ id, status, type: 'echo', attempts: 1, needs: [] })),
    });
    const graphs = new Map([
      ['a', graph({ x: 'Failed', y: 'Succeeded', z: 'Failed' })],
      ['b', graph({ x: 'Succeeded' })],
    ]);
    const plan = planRedrive([run('a', 'Failed'), run('b', 'Running'), run('c', 'Cancelled')], graphs);
    expect(plan.act).toEqual([{ runId: 'a', nodes: ['x', 'z'] }]);
    expect(plan.skip.map((s) => s.runId)).toEqual(['b', 'c']);
    expect(plan.skip[0].why).toBe('no Failed node');
  });
});
