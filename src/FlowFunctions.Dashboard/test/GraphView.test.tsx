import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GraphView } from '../src/components/GraphView';
import { buildModel } from '../src/graphModel';

afterEach(cleanup);

const model = (status: string) =>
  buildModel({
    nodes: [
      { id: 'a', type: 'echo', status: 'Succeeded', attempts: 1, needs: [] },
      { id: 'b', type: 'fail', status, attempts: 1, needs: ['a'] },
      { id: 'each', type: 'map', status: 'Running', attempts: 1, needs: ['a'], map: { total: 10000, done: 153, failed: 1, running: 4 } },
    ],
    edges: [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'each' },
    ],
  });

describe('GraphView', () => {
  it('draws one box per node coloured by status, a map as one box with its progress', () => {
    const { container } = render(<GraphView model={model('Failed')} selected={null} onSelect={() => {}} />);
    const nodes = container.querySelectorAll('g.node');
    expect(nodes).toHaveLength(3);
    expect(container.querySelector('g.node[data-id="b"]')!.classList.contains('status-failed')).toBe(true);
    expect(container.querySelector('g.node[data-id="each"]')!.textContent).toContain('map 153/10000 · 1 failed');
    expect(container.querySelectorAll('path.edge')).toHaveLength(2);
  });

  it('keeps zoom and pan when statuses change, and selects nodes by keyboard', () => {
    const onSelect = vi.fn();
    const { container, rerender } = render(<GraphView model={model('Running')} selected={null} onSelect={onSelect} />);
    const svg = container.querySelector('svg')!;
    fireEvent.keyDown(svg, { key: 'ArrowLeft' });
    fireEvent.keyDown(svg, { key: '+' });
    const view = svg.getAttribute('data-view');
    rerender(<GraphView model={model('Succeeded')} selected={null} onSelect={onSelect} />);
    expect(svg.getAttribute('data-view')).toBe(view);
    expect(container.querySelector('g.node[data-id="b"]')!.classList.contains('status-succeeded')).toBe(true);
    fireEvent.keyDown(container.querySelector('g.node[data-id="b"]')!, { key: 'Enter' });
    expect(onSelect).toHaveBeenCalledWith('b');
  });
});
