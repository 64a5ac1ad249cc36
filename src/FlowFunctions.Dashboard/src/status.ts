// Statuses are shown as the API names them: an unknown status (a newer host's) still gets a neutral colour.

const runTerminal = new Set(['Succeeded', 'Failed', 'Cancelled']);

export const isTerminalRun = (status: string) => runTerminal.has(status);

/** The CSS class of a status: known ones have colours in styles.css, others read as neutral. */
export function statusClass(status: string): string {
  const known = ['Pending', 'Ready', 'Running', 'Waiting', 'Paused', 'Succeeded', 'Cached', 'Failed', 'Skipped', 'Cancelled'];
  return known.includes(status) ? `status-${status.toLowerCase()}` : 'status-other';
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
