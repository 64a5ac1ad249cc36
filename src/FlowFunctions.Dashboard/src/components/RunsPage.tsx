import { useEffect, useState } from 'react';
import { getJson, postJson, runPath, describeError, type RunGraph, type RunList, type RunSummary } from '../api';
import { Link, navigate } from '../router';
import { filterFromSearch, filterToSearch, planCancel, planRedrive, runStatuses, runsQuery, type BulkPlan, type RunsFilter } from '../runsFilter';
import { formatDuration, formatTime, isTerminalRun } from '../status';
import { Dialog, Empty, ErrorBox, Loading, StatusBadge, usePolling } from './ui';

const pageSize = 25;

type Bulk =
  | { kind: 'cancel'; plan: BulkPlan<RunSummary> }
  | { kind: 'redrive'; plan: BulkPlan<{ runId: string; nodes: string[] }> };

export function RunsPage({ search }: { search: string }) {
  const filter = filterFromSearch(search);
  const [draft, setDraft] = useState<RunsFilter>(filter);
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const [autoRefresh, setAutoRefresh] = useState(true);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulk, setBulk] = useState<Bulk | null>(null);
  const query = runsQuery(filter, pageSize, tokens[tokens.length - 1]);
  const runs = usePolling(() => (query.url ? getJson<RunList>(query.url) : Promise.reject(new Error(query.error))), [query.url], 3000, autoRefresh);
  const workflows = usePolling(() => getJson<{ workflows: { name: string }[] }>('/api/workflows'), [], 0, false);

  useEffect(() => {
    setDraft(filterFromSearch(search));
    setTokens([null]);
    setSelected(new Set());
  }, [search]);

  const apply = (f: RunsFilter) => navigate(`/${filterToSearch(f)}`);
  const list = runs.data?.runs ?? [];
  const chosen = list.filter((r) => selected.has(r.runId));
  const toggle = (id: string) => setSelected((s) => (s.has(id) ? new Set([...s].filter((x) => x !== id)) : new Set([...s, id])));

  const previewRedrive = async () => {
    const graphs = new Map<string, RunGraph>();
    await Promise.all(chosen.filter((r) => !['Succeeded', 'Cancelled'].includes(r.status)).map(async (r) => graphs.set(r.runId, await getJson<RunGraph>(`${runPath(r.runId)}/graph`))));
    setBulk({ kind: 'redrive', plan: planRedrive(chosen, graphs) });
  };

  return (
    <section>
      <h1>Runs</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
        aria-label="Filter runs"
      >
        <label>
          Status
          <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })} name="status">
            <option value="">any</option>
            {runStatuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Workflow
          <input list="workflow-names" value={draft.workflow} onChange={(e) => setDraft({ ...draft, workflow: e.target.value })} name="workflow" placeholder="any" />
          <datalist id="workflow-names">
            {workflows.data?.workflows.map((w) => <option key={w.name} value={w.name} />)}
          </datalist>
        </label>
        <label>
          Started from
          <input type="datetime-local" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} name="from" />
        </label>
        <label>
          to
          <input type="datetime-local" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} name="to" />
        </label>
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={() => apply({ status: '', workflow: '', from: '', to: '' })}>
          Clear
        </button>
        <label className="inline">
          <input type="checkbox" checked={autoRefresh} onChange={(e) => setAutoRefresh(e.target.checked)} /> auto-refresh
        </label>
      </form>

      <div className="toolbar">
        <span className="muted">{chosen.length} selected</span>
        <button disabled={chosen.length === 0} onClick={() => setBulk({ kind: 'cancel', plan: planCancel(chosen) })}>
          Cancel selected…
        </button>
        <button disabled={chosen.length === 0} onClick={() => void previewRedrive()}>
          Redrive failed nodes…
        </button>
      </div>

      {runs.error ? (
        <ErrorBox error={runs.error} />
      ) : runs.loading && !runs.data ? (
        <Loading what="runs" />
      ) : list.length === 0 ? (
        <Empty title={search ? 'No run matches these filters.' : 'No runs yet.'}>
          {search ? 'Clear the filters or widen the time range.' : <>Start one from the <Link to="/workflows">Workflows</Link> page, with <code>flow run</code>, or with <code>POST /api/runs</code>.</>}
        </Empty>
      ) : (
        <table className="runs">
          <thead>
            <tr>
              <th>
                <input
                  type="checkbox"
                  aria-label="Select all runs on this page"
                  checked={chosen.length === list.length}
                  onChange={(e) => setSelected(new Set(e.target.checked ? list.map((r) => r.runId) : []))}
                />
              </th>
              <th>Status</th>
              <th>Workflow</th>
              <th>Run</th>
              <th>Started</th>
              <th>Duration</th>
              <th>Progress</th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={r.runId}>
                <td>
                  <input type="checkbox" aria-label={`Select run ${r.runId}`} checked={selected.has(r.runId)} onChange={() => toggle(r.runId)} />
                </td>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td>{r.workflow}</td>
                <td>
                  <Link to={`/runs/${encodeURIComponent(r.runId)}`} className="mono">
                    {r.runId.slice(0, 12)}…
                  </Link>
                </td>
                <td>{formatTime(r.createdAt)}</td>
                <td>{formatDuration((isTerminalRun(r.status) ? new Date(r.updatedAt).getTime() : Date.now()) - new Date(r.createdAt).getTime())}</td>
                <td>
                  <progress max={Math.max(r.nodesTotal, 1)} value={r.nodesDone} aria-label={`${r.nodesDone} of ${r.nodesTotal} nodes done`} /> {r.nodesDone}/{r.nodesTotal}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="toolbar">
        <button className="secondary" disabled={tokens.length === 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          ← Newer
        </button>
        <span className="muted">page {tokens.length}</span>
        <button className="secondary" disabled={!runs.data?.continuationToken} onClick={() => setTokens([...tokens, runs.data!.continuationToken])}>
          Older →
        </button>
      </div>
      {bulk && <BulkDialog bulk={bulk} onClose={() => setBulk(null)} onDone={() => { setSelected(new Set()); runs.reload(); }} />}
    </section>
  );
}

function BulkDialog({ bulk, onClose, onDone }: { bulk: Bulk; onClose: () => void; onDone: () => void }) {
  const [results, setResults] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const { plan } = bulk;
  const run = async () => {
    setBusy(true);
    const lines: string[] = [];
    if (bulk.kind === 'cancel') {
      for (const r of bulk.plan.act) {
        try {
          await postJson(`${runPath(r.runId)}/cancel`, { reason: 'bulk cancel from the dashboard' });
          lines.push(`${r.runId}: cancel requested`);
        } catch (e) {
          lines.push(`${r.runId}: ${describeError(e).join(' ')}`);
        }
      }
    } else {
      for (const r of bulk.plan.act) {
        for (const node of r.nodes) {
          try {
            await postJson(`${runPath(r.runId)}/nodes/${encodeURIComponent(node)}/redrive`, {});
            lines.push(`${r.runId} ${node}: redrive requested`);
          } catch (e) {
            lines.push(`${r.runId} ${node}: ${describeError(e).join(' ')}`);
          }
        }
      }
    }
    setResults(lines);
    setBusy(false);
    onDone();
  };
  const title = bulk.kind === 'cancel' ? 'Cancel runs' : 'Redrive failed nodes';
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="preview" aria-label="What will happen">
        <p>{plan.act.length === 0 ? 'Nothing to do: none of the selected runs qualifies.' : 'This will:'}</p>
        <ul>
          {bulk.kind === 'cancel'
            ? bulk.plan.act.map((r) => <li key={r.runId} className="add">cancel {r.runId} ({r.workflow}, {r.status})</li>)
            : bulk.plan.act.map((r) => <li key={r.runId} className="add">redrive {r.nodes.join(', ')} in {r.runId}</li>)}
          {plan.skip.map((s) => (
            <li key={s.runId} className="muted">
              skip {s.runId}: {s.why}
            </li>
          ))}
        </ul>
      </div>
      {results ? (
        <>
          <ul className="results">{results.map((l, i) => <li key={i}>{l}</li>)}</ul>
          <button onClick={onClose}>Close</button>
        </>
      ) : (
        <div className="buttons">
          <button className="danger" disabled={busy || plan.act.length === 0} onClick={() => void run()}>
            {bulk.kind === 'cancel' ? `Cancel ${plan.act.length} run(s)` : `Redrive ${plan.act.reduce((n, r) => n + r.nodes.length, 0)} node(s)`}
          </button>
          <button className="secondary" onClick={onClose}>
            Keep as is
          </button>
        </div>
      )}
    </Dialog>
  );
}
