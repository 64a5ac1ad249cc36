import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { apiKey, onUnauthorized } from './api';
import { RunPage } from './components/RunPage';
import { RunsPage } from './components/RunsPage';
import { Dialog } from './components/ui';
import { WorkflowsPage } from './components/WorkflowsPage';
import { Link, useLocation } from './router';
import './styles.css';

function App() {
  const { path, search } = useLocation();
  const [askKey, setAskKey] = useState(false);
  useEffect(() => onUnauthorized(() => setAskKey(true)), []);
  const run = /^\/runs\/([^/]+)$/.exec(path);
  const workflow = /^\/workflows(?:\/([^/]+))?$/.exec(path);
  let page;
  if (run) page = <RunPage key={run[1]} runId={decodeURIComponent(run[1])} />;
  else if (workflow) page = <WorkflowsPage name={workflow[1] ? decodeURIComponent(workflow[1]) : null} />;
  else if (path === '/' || path === '/runs') page = <RunsPage search={search} />;
  else page = <p>There is no page {path}. Go to the <Link to="/">runs</Link>.</p>;
  return (
    <>
      <a href="#main" className="skip">Skip to content</a>
      <nav className="top" aria-label="Main">
        <Link to="/" className="brand">FlowFunctions</Link>
        <Link to="/" aria-current={!run && !workflow ? 'page' : undefined}>Runs</Link>
        <Link to="/workflows" aria-current={workflow ? 'page' : undefined}>Workflows</Link>
        <span className="spacer" />
        <button className="secondary" onClick={() => setAskKey(true)}>{apiKey.get() ? 'API key ✓' : 'API key'}</button>
      </nav>
      <main id="main">{page}</main>
      {askKey && <KeyDialog onClose={() => setAskKey(false)} />}
    </>
  );
}

function KeyDialog({ onClose }: { onClose: () => void }) {
  const [key, setKey] = useState(apiKey.get());
  return (
    <Dialog title="API key" onClose={onClose}>
      <p>
        A host started without <code>--dev</code> asks every <code>/api</code> request for <code>Authorization: Bearer &lt;key&gt;</code>, with one of
        its <code>--api-key</code> values. The key is kept in this browser's local storage only.
      </p>
      <form onSubmit={(e) => { e.preventDefault(); apiKey.set(key.trim()); location.reload(); }}>
        <input type="password" value={key} onChange={(e) => setKey(e.target.value)} aria-label="API key" autoComplete="off" />
        <div className="buttons">
          <button type="submit">Save and reload</button>
          <button type="button" className="secondary" onClick={() => { apiKey.set(''); location.reload(); }}>Forget the key</button>
        </div>
      </form>
    </Dialog>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
