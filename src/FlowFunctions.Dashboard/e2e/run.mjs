// End-to-end scenarios in headless Chromium (Debian's, never a downloaded one) against a running FlowFunctions host.
// Usage: FLOW_URL=http://127.0.0.1:7070 [FLOW_SCREENSHOTS=dir] node e2e/run.mjs <scenario>
// Prints "ok <scenario>" and "metric <name> <value>" lines; exits 1 with the reason when a step fails.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.FLOW_URL ?? 'http://127.0.0.1:7070';
const shots = process.env.FLOW_SCREENSHOTS;
const scenario = process.argv[2];

async function api(method, path, body) {
  const response = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitRun(runId, statuses, seconds = 60) {
  for (let i = 0; i < seconds * 5; i++) {
    const run = await api('GET', `/api/runs/${runId}`);
    if (statuses.includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`run ${runId} did not reach ${statuses}`);
}

const metric = (name, value) => console.log(`metric ${name} ${typeof value === 'number' ? value.toFixed(0) : value}`);
const shot = async (page, name) => shots && (await page.screenshot({ path: join(shots, `${name}.png`) }));

const demoSpec = `name: dash-demo
description: Lists files for a region and echoes each one
inputs:
  region: { type: string, default: eu, description: Azure region }
  files: { type: array, default: [sales.csv, returns.csv, stock.csv] }
  verbose: { type: boolean, default: false }
nodes:
  - id: list
    type: echo
    with: { files: "\${{ inputs.files }}", region: "\${{ inputs.region }}" }
  - id: each
    type: map
    needs: [list]
    items: \${{ nodes.list.output.files }}
    node: { type: echo, with: { name: "\${{ item }}" } }
  - id: count
    type: transform
    needs: [each]
    with: \${{ length(nodes.each.output) }}
outputs:
  count: \${{ nodes.count.output }}
`;

const failingSpec = {
  name: 'dash-failing',
  nodes: [
    { id: 'extract', type: 'echo', with: { rows: 42 } },
    { id: 'load', type: 'fail', needs: ['extract'], with: { message: 'upstream returned 503' } },
    { id: 'report', type: 'transform', needs: ['load'], with: '${{ nodes.load.output }}' },
  ],
};

const waitingSpec = {
  name: 'dash-patch',
  nodes: [
    { id: 'start', type: 'echo', with: { step: 1 } },
    { id: 'approval', type: 'wait', needs: ['start'], with: { event: 'approved' } },
    { id: 'publish', type: 'echo', needs: ['approval'], with: '${{ nodes.approval.output }}' },
  ],
};

const scenarios = {
  // Register a workflow, start it from its generated form, watch it finish; then filter the runs list.
  async lifecycle(page) {
    await api('POST', '/api/workflows', { spec: demoSpec });
    await api('POST', '/api/runs', { spec: failingSpec });
    await page.goto(`${base}/workflows/dash-demo`);
    await page.getByLabel(/^region/).waitFor();
    if ((await page.getByLabel(/^region/).inputValue()) !== 'eu') throw new Error('the region field does not show its default');
    await page.getByLabel(/^region/).fill('us');
    await shot(page, 'workflows');
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.waitForURL(/\/runs\/[0-9a-f]+$/);
    await page.locator('.run-header .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60000 });
    await page.locator('g.node[data-id="each"][data-status="Succeeded"]').waitFor();
    const caption = await page.locator('g.node[data-id="each"] text.caption').textContent();
    if (caption !== 'map 3/3') throw new Error(`the map node reads '${caption}'`);
    await page.locator('g.node[data-id="list"]').click();
    await page.locator('.panel').getByText('"region": "us"').first().waitFor();
    await shot(page, 'run-succeeded');

    await page.goto(`${base}/`);
    await page.locator('table.runs tbody tr').first().waitFor();
    await shot(page, 'runs');
    await page.getByLabel('Status').selectOption('Failed');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=Failed/);
    await page.locator('table.runs tbody tr', { hasText: 'dash-failing' }).first().waitFor();
    const statuses = await page.locator('table.runs tbody .badge').allTextContents();
    if (statuses.length === 0 || statuses.some((s) => s !== 'Failed')) throw new Error(`filtered on Failed, the list shows ${statuses}`);
    await page.getByLabel('Status').selectOption('');
    await page.getByLabel('Workflow').fill('dash-demo');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/workflow=dash-demo/);
    await page.locator('table.runs tbody tr', { hasText: 'dash-demo' }).first().waitFor();
    const workflows = await page.locator('table.runs tbody td:nth-child(3)').allTextContents();
    if (workflows.some((w) => w !== 'dash-demo')) throw new Error(`filtered on dash-demo, the list shows ${workflows}`);
    await page.getByLabel('Workflow').fill('no-such-workflow');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No run matches these filters.').waitFor();
  },

  // See a failed node, read its error, redrive it with a new `with`, watch the run succeed.
  async redrive(page) {
    const { runId } = await api('POST', '/api/runs', { spec: failingSpec });
    await waitRun(runId, ['Failed']);
    await page.goto(`${base}/runs/${runId}`);
    await page.locator('g.node[data-id="load"][data-status="Failed"]').click();
    await page.locator('.panel').getByText('upstream returned 503').first().waitFor();
    await shot(page, 'run-failed');
    await page.getByRole('button', { name: 'Redrive…' }).click();
    await page.getByRole('textbox', { name: 'with', exact: true }).fill('{"message": "fixed", "times": 0, "output": {"rows": 42}}');
    await page.getByRole('button', { name: 'Redrive', exact: true }).click();
    await page.locator('g.node[data-id="load"][data-status="Succeeded"]').waitFor({ timeout: 60000 });
    await page.locator('.run-header .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60000 });
    await page.locator('.panel').getByText('"rows": 42').first().waitFor();
  },

  // Patch a running run: the dry-run preview first, then apply; the timeline shows the revision and its diff.
  async patch(page) {
    const { runId } = await api('POST', '/api/runs', { spec: waitingSpec });
    await page.goto(`${base}/runs/${runId}`);
    await page.locator('g.node[data-id="approval"][data-status="Waiting"]').waitFor({ timeout: 60000 });
    await page.getByRole('button', { name: 'Patch graph…' }).click();
    await page.getByRole('textbox', { name: 'patch', exact: true }).fill(JSON.stringify({ reason: 'add an audit step', operations: [{ op: 'addNode', node: { id: 'audit', type: 'echo', needs: ['start'], with: { ok: true } } }] }, null, 2));
    if (await page.getByRole('button', { name: 'Apply patch' }).isEnabled()) throw new Error('apply is enabled before a preview');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.locator('.preview li', { hasText: 'node audit added' }).waitFor();
    await page.locator('.preview li', { hasText: 'edge start->audit added' }).waitFor();
    await shot(page, 'patch-preview');
    const before = await api('GET', `/api/runs/${runId}/graph`);
    if (before.nodes.some((n) => n.id === 'audit')) throw new Error('the dry run changed the graph');
    await page.getByRole('button', { name: 'Apply patch' }).click();
    await page.locator('g.node[data-id="audit"][data-status="Succeeded"]').waitFor({ timeout: 60000 });
    await page.getByRole('button', { name: 'r1 (as started)' }).click();
    await page.locator('g.node[data-id="audit"].diff-added').waitFor();
    await page.getByText('Showing the graph as it was at revision 1').waitFor();
    await shot(page, 'run-revision');
    await page.getByRole('button', { name: 'Back to the live graph' }).click();
    await page.getByRole('button', { name: 'Raise event…' }).click();
    await page.getByRole('textbox', { name: 'event name', exact: true }).fill('approved');
    await page.getByRole('textbox', { name: 'payload', exact: true }).fill('{"by": "e2e"}');
    await page.getByRole('button', { name: 'Raise', exact: true }).click();
    await page.locator('.run-header .badge', { hasText: 'Succeeded' }).waitFor({ timeout: 60000 });
    // The timeline names who changed the run (in --dev mode the actor is 'dev'; with keys, key:<name> or user:<principal>).
    await page.locator('.timeline li', { hasText: 'graph revision 2 by dev' }).locator('.actor', { hasText: 'by dev' }).waitFor();
    await page.locator('.timeline li', { hasText: 'approval' }).locator('.actor', { hasText: 'by dev' }).first().waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot(page, 'run-dark');
  },

  // Numbers, not assertions: a 1,000-node run's graph, and a 10,000-item map drawn as one node.
  async perf(page) {
    const nodes = Array.from({ length: 1000 }, (_, i) => ({
      id: `n${i}`,
      type: 'transform',
      needs: i === 0 ? [] : [`n${Math.floor((i - 1) / 3)}`, ...(i % 7 === 0 && i > 20 ? [`n${i - 15}`] : [])].filter((v, k, a) => a.indexOf(v) === k),
      with: i,
    }));
    const big = await api('POST', '/api/runs', { spec: { name: 'dash-1000', nodes } });
    await waitRun(big.runId, ['Succeeded'], 240);
    const t0 = Date.now();
    await page.goto(`${base}/runs/${big.runId}`);
    await page.waitForFunction(() => document.querySelectorAll('g.node').length === 1000, null, { timeout: 60000 });
    metric('graph1000_nodes_visible_ms', Date.now() - t0);
    const layout = await page.evaluate(() => performance.getEntriesByName('layout').map((e) => e.duration));
    if (layout.length) metric('graph1000_layout_ms', Math.max(...layout));
    await shot(page, 'run-1000');

    const items = Array.from({ length: 10000 }, (_, i) => i);
    const map = await api('POST', '/api/runs', {
      spec: { name: 'dash-map', inputs: { items: { type: 'array', required: true } }, nodes: [{ id: 'each', type: 'map', items: '${{ inputs.items }}', node: { type: 'transform', with: '${{ item * 2 }}' } }] },
      inputs: { items },
    });
    const t1 = Date.now();
    await page.goto(`${base}/runs/${map.runId}`);
    await page.locator('g.node[data-id="each"]').waitFor({ timeout: 60000 });
    metric('map10000_graph_visible_ms', Date.now() - t1);
    const t2 = Date.now();
    await page.locator('g.node[data-id="each"]').click();
    await page.locator('.panel h3', { hasText: 'Map items' }).waitFor({ timeout: 60000 });
    await page.locator('.children .child').first().waitFor({ timeout: 60000 });
    metric('map10000_panel_open_ms', Date.now() - t2);
    // Responsiveness while the page polls the run: a zoom must show on screen within a frame or two.
    const zooms = [];
    for (let i = 0; i < 5; i++) {
      const before = await page.locator('svg.graph-canvas').getAttribute('data-view');
      const t = Date.now();
      await page.getByRole('button', { name: 'Zoom in' }).click();
      await page.waitForFunction((v) => document.querySelector('svg.graph-canvas').getAttribute('data-view') !== v, before);
      zooms.push(Date.now() - t);
    }
    metric('map10000_zoom_click_to_paint_ms_max', Math.max(...zooms));
    await waitRun(map.runId, ['Succeeded'], 300);
    await page.locator('g.node[data-id="each"] text.caption', { hasText: 'map 10000/10000' }).waitFor({ timeout: 60000 });
    await shot(page, 'run-map-10000');
  },
};

if (!scenarios[scenario]) {
  console.error(`unknown scenario '${scenario}'; one of ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  // Playwright starts Chromium with a new temporary profile (user data dir) of its own and removes it on close.
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
  page.setDefaultTimeout(20000);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  try {
    await scenarios[scenario](page);
    if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    console.log(`ok ${scenario}`);
  } catch (e) {
    failed = true;
    console.error(`FAILED ${scenario}: ${e.stack ?? e}`);
    if (shots) await page.screenshot({ path: join(tmpdir(), `ff-e2e-${scenario}-failure.png`) }).catch(() => {});
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
