// The runs list's filters: kept in the page's URL (shareable, survives reload) and turned into GET /api/runs queries.
import type { RunGraph, RunSummary } from './api';

export const runStatuses = ['Running', 'Paused', 'Succeeded', 'Failed', 'Cancelled'];

export interface RunsFilter {
  status: string;
  workflow: string;
  /** `datetime-local` values (the user's local time), empty when open. */
  from: string;
  to: string;
}

export const emptyFilter: RunsFilter = { status: '', workflow: '', from: '', to: '' };

export function filterFromSearch(search: string): RunsFilter {
  const p = new URLSearchParams(search);
  return { status: p.get('status') ?? '', workflow: p.get('workflow') ?? '', from: p.get('from') ?? '', to: p.get('to') ?? '' };
}

export function filterToSearch(filter: RunsFilter): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The API query for a filter and page, or the problem with the filter (said so the user can fix it). */
export function runsQuery(filter: RunsFilter, limit: number, continuationToken?: string | null): { url?: string; error?: string } {
  const p = new URLSearchParams();
  if (filter.status) {
    if (!runStatuses.includes(filter.status)) return { error: `unknown status '${filter.status}'; choose one of ${runStatuses.join(', ')}` };
    p.set('status', filter.status);
  }
  if (filter.workflow.trim()) p.set('workflow', filter.workflow.trim());
  const times: [string, string, string][] = [['from', filter.from, 'createdFrom'], ['to', filter.to, 'createdTo']];
  const parsed: Record<string, number> = {};
  for (const [name, value, parameter] of times) {
    if (!value) continue;
    const t = new Date(value).getTime();
    if (Number.isNaN(t)) return { error: `'${value}' is not a date and time (${name})` };
    parsed[name] = t;
    p.set(parameter, new Date(t).toISOString());
  }
  if (parsed.from !== undefined && parsed.to !== undefined && parsed.from > parsed.to) return { error: "'from' is after 'to': swap them or clear one" };
  p.set('limit', String(limit));
  if (continuationToken) p.set('continuationToken', continuationToken);
  return { url: `/api/runs?${p.toString()}` };
}

export interface BulkPlan<T> {
  act: T[];
  skip: { runId: string; why: string }[];
}

/** Which selected runs a bulk cancel will cancel, and why the others are left alone. */
export function planCancel(runs: RunSummary[]): BulkPlan<RunSummary> {
  const plan: BulkPlan<RunSummary> = { act: [], skip: [] };
  for (const r of runs) {
    if (r.status === 'Running' || r.status === 'Paused') plan.act.push(r);
    else plan.skip.push({ runId: r.runId, why: `already ${r.status}` });
  }
  return plan;
}

/** Which failed nodes a bulk redrive will run again, per run (a Succeeded or Cancelled run cannot be redriven). */
export function planRedrive(runs: RunSummary[], graphs: Map<string, RunGraph>): BulkPlan<{ runId: string; nodes: string[] }> {
  const plan: BulkPlan<{ runId: string; nodes: string[] }> = { act: [], skip: [] };
  for (const r of runs) {
    if (r.status === 'Succeeded' || r.status === 'Cancelled') {
      plan.skip.push({ runId: r.runId, why: `${r.status}: only Failed, Paused or Running runs can be redriven` });
      continue;
    }
    const failed = (graphs.get(r.runId)?.nodes ?? []).filter((n) => n.status === 'Failed').map((n) => n.id);
    if (failed.length === 0) plan.skip.push({ runId: r.runId, why: 'no Failed node' });
    else plan.act.push({ runId: r.runId, nodes: failed });
  }
  return plan;
}
