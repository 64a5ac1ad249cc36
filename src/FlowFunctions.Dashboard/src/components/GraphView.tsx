import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';
import { layoutModel, nodeHeight, nodeWidth, restyle, structureKey, type GraphModel, type Layout } from '../graphModel';
import { statusClass } from '../status';

interface View {
  x: number;
  y: number;
  scale: number;
}

/**
 * The DAG as SVG. The layout is recomputed only when the structure changes (a patch), never for a status change,
 * and the zoom and pan live here, so polling never moves what the user is looking at.
 */
export function GraphView({ model, selected, onSelect }: { model: GraphModel; selected: string | null; onSelect: (id: string) => void }) {
  const key = structureKey(model);
  const laid = useRef<{ key: string; layout: Layout } | null>(null);
  const layout = useMemo(() => {
    if (laid.current?.key !== key) {
      const start = performance.now();
      laid.current = { key, layout: layoutModel(model) };
      performance.measure('layout', { start });
    }
    return restyle(laid.current.layout, model);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [model]);
  const box = useRef<SVGSVGElement>(null);
  const [view, setView] = useState<View | null>(null);
  const drag = useRef<{ px: number; py: number; x: number; y: number } | null>(null);

  const fit = () => {
    const el = box.current;
    if (!el) return;
    const w = el.clientWidth || 800;
    const h = el.clientHeight || 500;
    const scale = Math.min(1, w / Math.max(layout.width, 1), h / Math.max(layout.height, 1));
    setView({ scale, x: (w - layout.width * scale) / 2, y: Math.max(0, (h - layout.height * scale) / 2) });
  };
  // Fit once, when the first layout arrives; later layouts keep the user's view.
  useEffect(() => {
    if (view === null) fit();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [layout]);

  const v = view ?? { x: 0, y: 0, scale: 1 };
  const zoom = (factor: number, cx: number, cy: number) => {
    const scale = Math.min(4, Math.max(0.02, v.scale * factor));
    const k = scale / v.scale;
    setView({ scale, x: cx - (cx - v.x) * k, y: cy - (cy - v.y) * k });
  };
  const onWheel = (e: WheelEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  };
  const onKey = (e: KeyboardEvent<SVGSVGElement>) => {
    const step = 60;
    const el = box.current!;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => setView({ ...v, x: v.x + step }),
      ArrowRight: () => setView({ ...v, x: v.x - step }),
      ArrowUp: () => setView({ ...v, y: v.y + step }),
      ArrowDown: () => setView({ ...v, y: v.y - step }),
      '+': () => zoom(1.2, el.clientWidth / 2, el.clientHeight / 2),
      '=': () => zoom(1.2, el.clientWidth / 2, el.clientHeight / 2),
      '-': () => zoom(1 / 1.2, el.clientWidth / 2, el.clientHeight / 2),
      '0': fit,
    };
    if (e.target === e.currentTarget && moves[e.key]) {
      e.preventDefault();
      moves[e.key]();
    }
  };
  const onDown = (e: PointerEvent<SVGSVGElement>) => {
    if ((e.target as Element).closest('.node')) return;
    drag.current = { px: e.clientX, py: e.clientY, x: v.x, y: v.y };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (d) setView({ ...v, x: d.x + e.clientX - d.px, y: d.y + e.clientY - d.py });
  };

  return (
    <div className="graph">
      <div className="graph-tools" aria-label="Zoom">
        <button className="secondary" onClick={() => zoom(1.2, (box.current?.clientWidth ?? 0) / 2, (box.current?.clientHeight ?? 0) / 2)} aria-label="Zoom in">+</button>
        <button className="secondary" onClick={() => zoom(1 / 1.2, (box.current?.clientWidth ?? 0) / 2, (box.current?.clientHeight ?? 0) / 2)} aria-label="Zoom out">−</button>
        <button className="secondary" onClick={fit}>Fit</button>
        <span className="muted">{layout.nodes.length} nodes · drag to pan, wheel or +/− to zoom</span>
      </div>
      <svg
        ref={box}
        className="graph-canvas"
        tabIndex={0}
        role="group"
        aria-label="Run graph: arrow keys pan, + and - zoom, 0 fits"
        onWheel={onWheel}
        onKeyDown={onKey}
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={() => (drag.current = null)}
        data-view={`${v.x.toFixed(1)},${v.y.toFixed(1)},${v.scale.toFixed(4)}`}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" className="arrowhead" />
          </marker>
        </defs>
        <g transform={`translate(${v.x} ${v.y}) scale(${v.scale})`}>
          {layout.edges.map((e) => (
            <path
              key={`${e.from}->${e.to}`}
              className={`edge ${e.diff ? `diff-${e.diff}` : ''}`}
              d={e.points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ')}
              markerEnd="url(#arrow)"
            />
          ))}
          {layout.nodes.map((n) => (
            <g
              key={n.id}
              data-id={n.id}
              data-status={n.status}
              className={`node ${statusClass(n.status)} ${n.diff ? `diff-${n.diff}` : ''} ${selected === n.id ? 'selected' : ''}`}
              transform={`translate(${n.x} ${n.y})`}
              tabIndex={0}
              role="button"
              aria-label={`${n.id}: ${n.status}, ${n.caption}`}
              onClick={() => onSelect(n.id)}
              onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), onSelect(n.id))}
            >
              <rect width={nodeWidth} height={nodeHeight} rx={7} />
              {n.map && <rect className="map-bar" x={6} y={nodeHeight - 7} height={3} width={((nodeWidth - 12) * n.map.done) / Math.max(n.map.total, 1)} />}
              <text x={10} y={19} className="title">
                {n.id.length > 22 ? `${n.id.slice(0, 21)}…` : n.id}
              </text>
              <text x={10} y={35} className="caption">
                {n.map ? n.caption : `${n.status} · ${n.caption}`}
              </text>
              <title>{`${n.id} (${n.type}): ${n.status}`}</title>
            </g>
          ))}
        </g>
      </svg>
    </div>
  );
}
