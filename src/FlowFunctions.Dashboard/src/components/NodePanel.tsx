import { useState } from 'react';
import { getJson, getText, nodePath, postJson, type HistoryEntry, type NodeDetail, type ValueRef } from '../api';
import { formatDuration, formatTime, statusClass } from '../status';
import { Dialog, ErrorBox, JsonView, Loading, StatusBadge, usePolling } from './ui';

export interface Attempt {
  attempt: number;
  startedAt: string;
  endedAt: string | null;
  outcome: string;
  detail: string | null;
}

/** A node's attempts from its history entries: each starts when the node goes Running and ends with its next transition. */
export function attemptsOf(history: HistoryEntry[], nodeId: string): Attempt[] {
  const mine = history.filter((h) => h.nodeId === nodeId);
  const attempts: Attempt[] = [];
  mine.forEach((h, i) => {
    if (h.to !== 'Running') return;
    const end = mine.slice(i + 1).find((x) => x.to !== 'Running');
    attempts.push({ attempt: h.attempt, startedAt: h.at, endedAt: end?.at ?? null, outcome: end?.to ?? 'Running', detail: end?.detail ?? null });
  });
  return attempts;
}

const maxChildren = 1000;

export function NodePanel(props: { runId: string; nodeId: string; live: boolean; history: HistoryEntry[]; onSelect: (id: string) => void; onClose: () => void; onChanged: () => void }) {
  const { runId, nodeId, live, history } = props;
  const node = usePolling(() => getJson<NodeDetail>(nodePath(runId, nodeId)), [runId, nodeId], 2500, live);
  const [childFilter, setChildFilter] = useState('');
  const [redrive, setRedrive] = useState(false);
  const d = node.data;
  const attempts = attemptsOf(history, nodeId);
  const children = (d?.children ?? []).filter((c) => !childFilter || c.status === childFilter);
  return (
    <aside className="panel" aria-label={`Node ${nodeId}`}>
      <header>
        <h2 className="mono">{nodeId}</h2>
        <button className="close" onClick={props.onClose} aria-label="Close the node panel">
          ×
        </button>
      </header>
      {node.error ? (
        <ErrorBox error={node.error} />
      ) : !d ? (
        <Loading what="the node" />
      ) : (
        <>
          <dl className="facts">
            <dt>Status</dt>
            <dd>
              <StatusBadge status={d.status} />
              {d.status === 'Failed' && !d.map && (
                <button className="inline-action" onClick={() => setRedrive(true)}>
                  Redrive…
                </button>
              )}
            </dd>
            {d.reason && (
              <>
                <dt>Reason</dt>
                <dd className="reason">{d.reason}</dd>
              </>
            )}
            <dt>Type</dt>
            <dd>{d.type}</dd>
            <dt>Attempts</dt>
            <dd>{d.attempts}</dd>
            <dt>Started</dt>
            <dd>{formatTime(d.startedAt)}</dd>
            <dt>Took</dt>
            <dd>{d.startedAt ? formatDuration((d.completedAt ? new Date(d.completedAt).getTime() : Date.now()) - new Date(d.startedAt).getTime()) : '—'}</dd>
          </dl>
          {d.error && (
            <div className="error" role="note">
              attempt {d.error.attempt} ({d.error.class}): {d.error.message}
            </div>
          )}
          {d.mapProgress && (
            <section>
              <h3>
                Map items: {d.mapProgress.done}/{d.mapProgress.total} done, {d.mapProgress.failed} failed, {d.mapProgress.running} running
              </h3>
              <label>
                Show{' '}
                <select value={childFilter} onChange={(e) => setChildFilter(e.target.value)}>
                  <option value="">all items</option>
                  {[...new Set((d.children ?? []).map((c) => c.status))].map((s) => (
                    <option key={s}>{s}</option>
                  ))}
                </select>
              </label>
              <div className="children" role="list">
                {children.slice(0, maxChildren).map((c) => (
                  <button key={c.id} role="listitem" className={`child ${statusClass(c.status)}`} title={`${c.id}: ${c.status}`} aria-label={`${c.id}: ${c.status}`} onClick={() => props.onSelect(c.id)} />
                ))}
              </div>
              {children.length > maxChildren && <p className="muted">showing the first {maxChildren} of {children.length}; filter by status to find the others.</p>}
              {d.children?.length === 0 && <p className="muted">No item has started yet.</p>}
            </section>
          )}
          <section>
            <h3>Attempts</h3>
            {attempts.length === 0 ? (
              <p className="muted">No attempt in the history{d.type === 'transform' ? ' (transforms are evaluated by the engine)' : ''}.</p>
            ) : (
              <table className="attempts">
                <thead>
                  <tr>
                    <th>#</th>
                    <th>Started</th>
                    <th>Took</th>
                    <th>Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {attempts.map((a, i) => (
                    <tr key={i}>
                      <td>{a.attempt}</td>
                      <td>{formatTime(a.startedAt)}</td>
                      <td>{a.endedAt ? formatDuration(new Date(a.endedAt).getTime() - new Date(a.startedAt).getTime()) : 'running'}</td>
                      <td>
                        <StatusBadge status={a.outcome} /> {a.detail}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <Value title="Input" value={d.input} valueRef={d.inputRef} />
          <Value title="Output" value={d.output} valueRef={d.outputRef} />
        </>
      )}
      {redrive && d && <RedriveDialog runId={runId} nodeId={nodeId} onClose={() => setRedrive(false)} onDone={() => { node.reload(); props.onChanged(); }} />}
    </aside>
  );
}

function Value({ title, value, valueRef }: { title: string; value: unknown; valueRef?: ValueRef }) {
  const [loaded, setLoaded] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  return (
    <section>
      <h3>{title}</h3>
      {valueRef ? (
        loaded !== null ? (
          <pre className="code">{loaded}</pre>
        ) : (
          <p>
            Stored as an artifact ({valueRef.hash.slice(0, 19)}…):{' '}
            <button className="secondary" onClick={() => getText(valueRef.url).then(setLoaded, setError)}>
              load it
            </button>
            {error ? <ErrorBox error={error} /> : null}
          </p>
        )
      ) : value === undefined || value === null ? (
        <p className="muted">none</p>
      ) : (
        <JsonView value={value} />
      )}
    </section>
  );
}

function RedriveDialog({ runId, nodeId, onClose, onDone }: { runId: string; nodeId: string; onClose: () => void; onDone: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async () => {
    let body: Record<string, unknown> = {};
    if (text.trim()) {
      try {
        body = { with: JSON.parse(text) };
      } catch (e) {
        setError(new Error(`'with' is not JSON: ${(e as Error).message}`));
        return;
      }
    }
    try {
      await postJson(`${nodePath(runId, nodeId)}/redrive`, body);
      onDone();
      onClose();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog title={`Redrive ${nodeId}`} onClose={onClose}>
      <label className="block">
        New <code>with</code> (JSON; leave empty to run it again unchanged; <code>{'${{ }}'}</code> expressions allowed)
        <textarea rows={8} value={text} onChange={(e) => setText(e.target.value)} aria-label="with" placeholder='{"message": "try again", "times": 0}' />
      </label>
      {error ? <ErrorBox error={error} /> : null}
      <div className="buttons">
        <button onClick={() => void submit()}>Redrive</button>
        <button className="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
