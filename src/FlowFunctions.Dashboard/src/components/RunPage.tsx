import { useMemo, useState } from 'react';
import { ApiError, getJson, postJson, runPath, type HistoryEntry, type PatchResult, type Revision, type RunDocument, type RunGraph } from '../api';
import { buildModel, graphAtRevision } from '../graphModel';
import { parsePatch, patchTemplate, previewLines } from '../patchPreview';
import { Link } from '../router';
import { formatDuration, formatTime, isTerminalRun } from '../status';
import { GraphView } from './GraphView';
import { NodePanel } from './NodePanel';
import { Dialog, Empty, ErrorBox, Loading, StatusBadge, usePolling } from './ui';

const revisionNote = /^graph revision (\d+)/;
const timelineShown = 300;

export function RunPage({ runId }: { runId: string }) {
  // Polling stops once the run has ended, and starts again for a while after an action (a redrive reopens a run).
  const [woken, setWoken] = useState(0);
  const [ended, setEnded] = useState(false);
  const live = !ended || Date.now() - woken < 20000;
  const run = usePolling(() => getJson<RunDocument>(runPath(runId)), [runId], 2000, live);
  const graph = usePolling(() => getJson<RunGraph>(`${runPath(runId)}/graph`), [runId], 2000, live);
  const history = usePolling(() => getJson<{ events: HistoryEntry[] }>(`${runPath(runId)}/events`), [runId], 4000, live);
  const revision = graph.data?.graphRevision ?? 1;
  const revisions = usePolling(
    () => (revision > 1 ? getJson<{ revisions: Revision[] }>(`${runPath(runId)}/revisions`) : Promise.resolve({ revisions: [] })),
    [runId, revision],
    0,
    false,
  );
  const [selected, setSelected] = useState<string | null>(null);
  const [viewRevision, setViewRevision] = useState<number | null>(null);
  const [dialog, setDialog] = useState<'patch' | 'event' | 'cancel' | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);

  const terminal = run.data ? isTerminalRun(run.data.status) : false;
  if (ended !== terminal) setEnded(terminal);
  const refresh = () => {
    setWoken(Date.now());
    run.reload();
    graph.reload();
    history.reload();
  };
  const model = useMemo(() => {
    if (!graph.data) return null;
    const current = buildModel(graph.data);
    return viewRevision === null ? current : graphAtRevision(current, revisions.data?.revisions ?? [], viewRevision);
  }, [graph.data, viewRevision, revisions.data]);

  const command = async (path: string, done: string) => {
    setActionError(null);
    try {
      await postJson(`${runPath(runId)}/${path}`, {});
      setMessage(done);
      refresh();
    } catch (e) {
      setActionError(e);
    }
  };

  if (run.error instanceof ApiError && run.error.status === 404) {
    return <Empty title={`There is no run ${runId}.`}>It may have been deleted by retention. Go back to the <Link to="/">runs list</Link>.</Empty>;
  }
  if (run.error && !run.data) return <ErrorBox error={run.error} />;
  if (!run.data || !model) return <Loading what="the run" />;
  const r = run.data;
  const events = history.data?.events ?? [];
  const nextRevision = revisions.data?.revisions.find((x) => x.revision === (viewRevision ?? -1) + 1);

  return (
    <section className="run">
      <header className="run-header">
        <div>
          <h1>
            {r.workflow} <span className="muted">v{r.workflowVersion}</span> <StatusBadge status={r.status} />
          </h1>
          <div className="muted mono">{r.runId}</div>
          {r.reason && <div className="reason">{r.reason}</div>}
          <div className="muted">
            started {formatTime(r.startedAt)} · {formatDuration((r.completedAt ? new Date(r.completedAt).getTime() : Date.now()) - new Date(r.startedAt ?? Date.now()).getTime())} · graph revision {r.graphRevision}
            {live ? ' · live' : ''}
          </div>
        </div>
        <div className="actions" role="toolbar" aria-label="Run actions">
          <button disabled={r.status !== 'Running'} onClick={() => void command('pause', 'Pause requested.')}>
            Pause
          </button>
          <button disabled={r.status !== 'Paused'} onClick={() => void command('resume', 'Resume requested.')}>
            Resume
          </button>
          <button disabled={terminal} onClick={() => setDialog('event')}>
            Raise event…
          </button>
          <button disabled={terminal && r.status !== 'Failed'} onClick={() => setDialog('patch')}>
            Patch graph…
          </button>
          <button className="danger" disabled={terminal} onClick={() => setDialog('cancel')}>
            Cancel run…
          </button>
        </div>
      </header>
      {message && (
        <div className="notice" role="status">
          {message} <button className="link" onClick={() => setMessage(null)}>dismiss</button>
        </div>
      )}
      {actionError ? <ErrorBox error={actionError} /> : null}
      {graph.error ? <ErrorBox error={graph.error} /> : null}
      {viewRevision !== null && (
        <div className="notice revision-view" role="status">
          Showing the graph as it was at revision {viewRevision}
          {nextRevision
            ? `; marked: what revision ${nextRevision.revision} changed (${nextRevision.reason ?? 'no reason given'}, by ${nextRevision.author ?? 'unknown'})`
            : ''}
          . <button className="link" onClick={() => setViewRevision(null)}>Back to the live graph</button>
        </div>
      )}
      <div className="run-body">
        <GraphView model={model} selected={selected} onSelect={setSelected} />
        {selected && (
          <NodePanel runId={runId} nodeId={selected} live={live} history={events} onSelect={setSelected} onClose={() => setSelected(null)} onChanged={refresh} />
        )}
      </div>
      <Timeline events={events} revisions={revisions.data?.revisions ?? []} current={r.graphRevision} viewing={viewRevision} onView={setViewRevision} onSelect={setSelected} />
      {dialog === 'patch' && <PatchDialog runId={runId} revision={r.graphRevision} onClose={() => setDialog(null)} onApplied={(m) => { setMessage(m); refresh(); }} />}
      {dialog === 'event' && <RaiseEventDialog runId={runId} onClose={() => setDialog(null)} onDone={(m) => { setMessage(m); refresh(); }} />}
      {dialog === 'cancel' && (
        <Dialog title="Cancel this run?" onClose={() => setDialog(null)}>
          <p>Pending nodes are cancelled and running activities are told to stop. This cannot be undone.</p>
          <div className="buttons">
            <button className="danger" onClick={() => { setDialog(null); void command('cancel', 'Cancel requested.'); }}>
              Cancel the run
            </button>
            <button className="secondary" onClick={() => setDialog(null)}>
              Keep it running
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

function Timeline(props: { events: HistoryEntry[]; revisions: Revision[]; current: number; viewing: number | null; onView: (r: number | null) => void; onSelect: (id: string) => void }) {
  const [all, setAll] = useState(false);
  const shown = all ? props.events : props.events.slice(-timelineShown);
  return (
    <section className="timeline" aria-label="Timeline">
      <h2>Timeline</h2>
      <div className="revisions" role="toolbar" aria-label="Graph revisions">
        <span>Graph revisions:</span>
        {Array.from({ length: props.current }, (_, i) => i + 1).map((n) => (
          <button key={n} className={props.viewing === n || (props.viewing === null && n === props.current) ? '' : 'secondary'} onClick={() => props.onView(n === props.current ? null : n)} aria-pressed={props.viewing === n}>
            {n === 1 ? 'r1 (as started)' : `r${n}`}
          </button>
        ))}
      </div>
      {props.events.length === 0 ? (
        <p className="muted">No transition yet: the run has not been worked. Is a worker running (the host's in-process worker or `flow worker`)?</p>
      ) : (
        <>
          {props.events.length > shown.length && (
            <button className="link" onClick={() => setAll(true)}>
              show all {props.events.length} entries (the last {timelineShown} are shown)
            </button>
          )}
          <ol className="entries">
            {shown.map((e, i) => {
              const rev = e.nodeId === '$run' ? revisionNote.exec(e.detail ?? '') : null;
              return (
                <li key={i} className={rev ? 'revision' : ''}>
                  <time>{formatTime(e.at)}</time>{' '}
                  {e.nodeId === '$run' ? (
                    <span>
                      run: {e.detail}
                      {rev && (
                        <button className="link" onClick={() => props.onView(Number(rev[1]) - 1)}>
                          {' '}view the change
                        </button>
                      )}
                    </span>
                  ) : (
                    <span>
                      <button className="link mono" onClick={() => props.onSelect(e.nodeId)}>
                        {e.nodeId}
                      </button>{' '}
                      {e.from ?? '∅'} → <StatusBadge status={e.to ?? '?'} />
                      {e.attempt > 1 ? ` (attempt ${e.attempt})` : ''} {e.detail && <span className="muted">{e.detail}</span>}
                    </span>
                  )}
                  {e.actor && <span className="actor muted"> by {e.actor}</span>}
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}

function PatchDialog({ runId, revision, onClose, onApplied }: { runId: string; revision: number; onClose: () => void; onApplied: (m: string) => void }) {
  const [text, setText] = useState(patchTemplate);
  const [preview, setPreview] = useState<{ text: string; result: PatchResult } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const send = async (dryRun: boolean) => {
    setError(null);
    const parsed = parsePatch(text);
    if (!parsed.body) {
      setError(new Error(parsed.error));
      return;
    }
    try {
      const result = await postJson<PatchResult>(`${runPath(runId)}/patch`, { expectedRevision: revision, ...parsed.body, dryRun });
      if (dryRun) setPreview({ text, result });
      else {
        onApplied(`Patch accepted: it becomes graph revision ${result.revision}.`);
        onClose();
      }
    } catch (e) {
      setPreview(null);
      setError(e);
    }
  };
  const lines = preview ? previewLines(preview.result) : [];
  const current = preview?.text === text;
  return (
    <Dialog title="Patch the run's graph" onClose={onClose}>
      <label className="block">
        Patch (JSON: <code>reason</code> and <code>operations</code>: addNode, addEdge, removeEdge, updateNode, removeNode)
        <textarea rows={12} className="mono" value={text} onChange={(e) => setText(e.target.value)} aria-label="patch" />
      </label>
      {error ? <ErrorBox error={error} /> : null}
      {preview && (
        <div className="preview" aria-label="Dry-run result">
          <strong>Dry run against revision {revision}: {current ? 'this is what applying will do' : 'the text changed since: preview again'}</strong>
          {lines.length === 0 ? (
            <p className="muted">No change.</p>
          ) : (
            <ul>
              {lines.map((l, i) => (
                <li key={i} className={l.kind}>
                  {l.text}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div className="buttons">
        <button className="secondary" onClick={() => void send(true)}>
          Preview (dry run)
        </button>
        <button disabled={!current} onClick={() => void send(false)} title={current ? '' : 'preview the patch first'}>
          Apply patch
        </button>
        <button className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}

function RaiseEventDialog({ runId, onClose, onDone }: { runId: string; onClose: () => void; onDone: (m: string) => void }) {
  const [name, setName] = useState('');
  const [payload, setPayload] = useState('{}');
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    let body: unknown;
    try {
      body = payload.trim() ? JSON.parse(payload) : null;
    } catch (e) {
      setError(new Error(`the payload is not JSON: ${(e as Error).message}`));
      return;
    }
    if (!name.trim()) {
      setError(new Error('name the event (the name a wait node waits for)'));
      return;
    }
    try {
      await postJson(`${runPath(runId)}/events/${encodeURIComponent(name.trim())}`, body);
      onDone(`Event ${name.trim()} raised.`);
      onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog title="Raise an event" onClose={onClose}>
      <label className="block">
        Event name
        <input value={name} onChange={(e) => setName(e.target.value)} aria-label="event name" />
      </label>
      <label className="block">
        Payload (JSON)
        <textarea rows={6} className="mono" value={payload} onChange={(e) => setPayload(e.target.value)} aria-label="payload" />
      </label>
      {error ? <ErrorBox error={error} /> : null}
      <div className="buttons">
        <button onClick={() => void submit()}>Raise</button>
        <button className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
