import { useEffect, useState } from 'react';
import { getJson, getText, postJson, type WorkflowSummary, type WorkflowVersion } from '../api';
import { collectInputs, initialText, inputFields, type InputField } from '../inputForm';
import { Link, navigate } from '../router';
import { formatTime } from '../status';
import { Code, Empty, ErrorBox, Loading, usePolling } from './ui';

export function WorkflowsPage({ name }: { name: string | null }) {
  const list = usePolling(() => getJson<{ workflows: WorkflowSummary[] }>('/api/workflows'), [], 0, false);
  return (
    <section>
      <h1>Workflows</h1>
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !list.data ? (
        <Loading what="workflows" />
      ) : list.data.workflows.length === 0 ? (
        <Empty title="No workflow is registered.">
          Register one with <code>flow register spec.yaml</code> or <code>POST /api/workflows</code> with the spec; it appears here.
        </Empty>
      ) : (
        <div className="split">
          <nav className="workflow-list" aria-label="Registered workflows">
            <ul>
              {list.data.workflows.map((w) => (
                <li key={w.name}>
                  <Link to={`/workflows/${encodeURIComponent(w.name)}`} aria-current={w.name === name ? 'page' : undefined}>
                    <strong>{w.name}</strong> <span className="muted">v{w.latestVersion}</span>
                    {w.description && <div className="muted small">{w.description}</div>}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          {name ? <WorkflowDetail key={name} name={name} /> : <p className="muted">Choose a workflow to see its spec and start a run.</p>}
        </div>
      )}
    </section>
  );
}

function WorkflowDetail({ name }: { name: string }) {
  const detail = usePolling(() => getJson<{ versions: WorkflowVersion[] }>(`/api/workflows/${encodeURIComponent(name)}`), [name], 0, false);
  const [version, setVersion] = useState<number | null>(null);
  const versions = detail.data?.versions ?? [];
  const chosen = versions.find((v) => v.version === version) ?? versions[versions.length - 1];
  const spec = usePolling(() => (chosen ? getText(chosen.specUrl) : Promise.resolve('')), [chosen?.specUrl], 0, false);
  if (detail.error) return <ErrorBox error={detail.error} />;
  if (!chosen) return <Loading what={name} />;
  const text = spec.data ?? '';
  return (
    <div className="workflow">
      <h2>
        {name}{' '}
        <select aria-label="Version" value={chosen.version} onChange={(e) => setVersion(Number(e.target.value))}>
          {versions.map((v) => (
            <option key={v.version} value={v.version}>
              version {v.version}
            </option>
          ))}
        </select>
      </h2>
      <p className="muted">
        registered {formatTime(chosen.registeredAt)} · <span className="mono">{chosen.hash.slice(0, 19)}…</span> · <Link to={`/?workflow=${encodeURIComponent(name)}`}>its runs</Link>
      </p>
      {spec.error ? <ErrorBox error={spec.error} /> : !spec.data ? <Loading what="the spec" /> : (
        <>
          <StartRunForm key={chosen.hash} name={name} version={chosen.version} specText={text} />
          <h3>Spec</h3>
          <Code text={text} language={text.trimStart().startsWith('{') ? 'json' : 'yaml'} />
        </>
      )}
    </div>
  );
}

export function StartRunForm({ name, version, specText }: { name: string; version: number; specText: string }) {
  let fields: InputField[] = [];
  let parseError: string | null = null;
  try {
    fields = inputFields(specText);
  } catch (e) {
    parseError = (e as Error).message;
  }
  const [texts, setTexts] = useState<Record<string, string>>(() => Object.fromEntries(fields.map((f) => [f.name, initialText(f)])));
  const [errors, setErrors] = useState<string[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => setErrors([]), [texts]);
  const submit = async () => {
    const { inputs, errors: problems } = collectInputs(fields, texts);
    setErrors(problems);
    setFailure(null);
    if (problems.length) return;
    setBusy(true);
    try {
      const started = await postJson<{ runId: string }>('/api/runs', { workflow: name, version, inputs });
      navigate(`/runs/${encodeURIComponent(started.runId)}`);
    } catch (e) {
      setFailure(e);
      setBusy(false);
    }
  };
  return (
    <form
      className="start-run"
      aria-label="Start a run"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>Start a run</h3>
      {parseError && <div className="error">the spec's inputs could not be read ({parseError}); the run starts with no inputs</div>}
      {fields.length === 0 && !parseError && <p className="muted">This workflow declares no inputs.</p>}
      {fields.map((f) => (
        <FieldInput key={f.name} field={f} text={texts[f.name] ?? ''} onChange={(t) => setTexts({ ...texts, [f.name]: t })} />
      ))}
      {errors.length > 0 && (
        <div className="error" role="alert">
          {errors.map((e) => (
            <div key={e}>{e}</div>
          ))}
        </div>
      )}
      {failure ? <ErrorBox error={failure} /> : null}
      <button type="submit" disabled={busy}>
        Start run
      </button>
    </form>
  );
}

function FieldInput({ field, text, onChange }: { field: InputField; text: string; onChange: (text: string) => void }) {
  const id = `input-${field.name}`;
  const label = (
    <label htmlFor={id}>
      {field.name} <span className="muted">({field.type}{field.required && field.default === undefined ? ', required' : ''})</span>
      {field.description && <div className="muted small">{field.description}</div>}
    </label>
  );
  let control;
  if (field.type === 'boolean') {
    control = (
      <select id={id} value={text} onChange={(e) => onChange(e.target.value)}>
        <option value="">{field.default === undefined ? '(not set)' : `default (${String(field.default)})`}</option>
        <option value="true">true</option>
        <option value="false">false</option>
      </select>
    );
  } else if (field.type === 'object' || field.type === 'array') {
    control = <textarea id={id} className="mono" rows={4} value={text} onChange={(e) => onChange(e.target.value)} placeholder={field.type === 'array' ? '[ ]' : '{ }'} />;
  } else {
    control = (
      <input
        id={id}
        type={field.type === 'string' ? 'text' : 'number'}
        step={field.type === 'integer' ? 1 : 'any'}
        value={text}
        required={field.required && field.default === undefined}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className="field">
      {label}
      {control}
    </div>
  );
}
