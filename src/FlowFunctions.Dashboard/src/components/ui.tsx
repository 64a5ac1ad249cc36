import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import hljs from 'highlight.js/lib/core';
import json from 'highlight.js/lib/languages/json';
import yaml from 'highlight.js/lib/languages/yaml';
import { describeError } from '../api';
import { statusClass } from '../status';

hljs.registerLanguage('json', json);
hljs.registerLanguage('yaml', yaml);

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge ${statusClass(status)}`}>{status}</span>;
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error, action }: { error: unknown; action?: ReactNode }) {
  return (
    <div className="error" role="alert">
      {describeError(error).map((line, i) => (
        <div key={i}>{line}</div>
      ))}
      {action}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <strong>{title}</strong>
      {children && <div>{children}</div>}
    </div>
  );
}

/** Code with syntax highlighting (highlight.js escapes the text it returns). */
export function Code({ text, language }: { text: string; language: 'json' | 'yaml' }) {
  const html = hljs.highlight(text, { language }).value;
  return (
    <pre className="code" tabIndex={0}>
      <code className={`hljs language-${language}`} dangerouslySetInnerHTML={{ __html: html }} />
    </pre>
  );
}

export function JsonView({ value }: { value: unknown }) {
  return <Code text={JSON.stringify(value, null, 2) ?? 'null'} language="json" />;
}

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Loads now and again every `intervalMs` while `live`; keeps the last good data through a failed refresh. */
export function usePolling<T>(load: () => Promise<T>, deps: unknown[], intervalMs: number, live: boolean): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(load, deps);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    run().then(
      (d) => {
        if (mine !== generation.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e) => {
        if (mine !== generation.current) return;
        setError(e);
        setLoading(false);
      },
    );
  }, [run]);
  useEffect(() => {
    setLoading(true);
    setData(undefined);
    reload();
  }, [reload]);
  useEffect(() => {
    if (!live) return;
    const timer = setInterval(reload, intervalMs);
    return () => clearInterval(timer);
  }, [reload, live, intervalMs]);
  return { data, error, loading, reload };
}

/** A modal dialog: focus moves into it, Escape closes it. */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const first = ref.current?.querySelector<HTMLElement>('textarea, input, select, button:not(.close)');
    first?.focus();
  }, []);
  return (
    <div className="backdrop" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="dialog" role="dialog" aria-modal="true" aria-label={title} ref={ref}>
        <header>
          <h2>{title}</h2>
          <button className="close" onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}
