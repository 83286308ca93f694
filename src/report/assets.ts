// Inline stylesheet and script of the report page. The page loads nothing else, and its
// Content-Security-Policy forbids every request.

export const PAGE_STYLE = `
:root { --ink: #1f2328; --muted: #6a737d; --line: #e3e6ea; --panel: #f7f8fa; --accent: #2f6db5; --accent-b: #d9712b;
  --pass: #1a7f37; --pass-bg: #dafbe1; --fail: #c62828; --fail-bg: #ffebe9; --error: #9a6700; --error-bg: #fff3c4; --other: #57606a; --other-bg: #eaeef2;
  /* Direction of a difference only: whether higher is better depends on the metric. */
  --up: #0b63c4; --down: #b35400; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
header.page { padding: 28px 40px 18px; background: linear-gradient(120deg, #f3f6fb, #fbf7f2); border-bottom: 1px solid var(--line); }
header.page h1 { margin: 0 0 4px; font-size: 24px; font-weight: 650; letter-spacing: -0.01em; }
header.page .facts { display: flex; flex-wrap: wrap; gap: 6px 22px; color: var(--muted); font-size: 13px; }
header.page .facts b { color: var(--ink); font-weight: 600; }
nav { position: sticky; top: 0; z-index: 5; display: flex; gap: 4px; padding: 8px 40px; background: rgba(255,255,255,0.94); backdrop-filter: blur(6px); border-bottom: 1px solid var(--line); }
nav a { color: var(--muted); text-decoration: none; padding: 4px 10px; border-radius: 6px; font-size: 13px; }
nav a:hover { background: var(--panel); color: var(--ink); }
main { padding: 8px 40px 60px; max-width: 1500px; }
section { margin-top: 30px; }
h2 { font-size: 17px; font-weight: 650; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 0 0 6px; }
.sub { color: var(--muted); font-size: 12px; font-weight: 400; }
.note { color: var(--muted); font-style: italic; }
.warnings { background: var(--error-bg); border: 1px solid #f0d77a; border-radius: 8px; padding: 8px 14px; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0 0 6px; color: #333; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { font-size: 12px; color: var(--muted); font-weight: 600; text-transform: none; border-bottom: 2px solid var(--line); }
td.num, td.estimate { text-align: right; }
tbody tr:hover { background: #fafbfc; }
td.estimate .mean { display: block; font-weight: 600; font-size: 14px; }
td.estimate .ci, .ci { display: block; color: var(--muted); font-size: 11.5px; }
td.estimate .n { display: block; color: #9aa1a8; font-size: 10.5px; }
td.estimate .p { display: block; color: #555; font-size: 10.5px; }
td.estimate .p.significant { color: var(--up); font-weight: 600; }
td.difference.up { color: var(--up); font-weight: 600; }
td.difference.down { color: var(--down); font-weight: 600; }
.headline { margin-bottom: 14px; }
.tiles { display: flex; flex-wrap: wrap; gap: 12px; }
.tile { border: 1px solid var(--line); border-radius: 10px; padding: 10px 16px; min-width: 150px; background: #fff; box-shadow: 0 1px 2px rgba(0,0,0,0.04); }
.tile .variant { font-weight: 650; }
.tile .figure { display: flex; justify-content: space-between; gap: 14px; font-size: 13px; color: var(--muted); }
.tile .figure b { color: var(--ink); font-size: 15px; }
.tile .delta { font-size: 11.5px; }
.delta.up { color: var(--up); } .delta.down { color: var(--down); }
.chart-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(380px, 1fr)); gap: 14px; }
figure.chart { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 10px; background: #fff; overflow-x: auto; }
figure.chart svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.figure-row { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
.figure-row > * { flex: 0 1 auto; }
figure.chart figcaption { color: var(--muted); font-size: 12px; padding: 4px 6px 0; }
.two-columns { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; align-items: start; }
@media (max-width: 1100px) { .two-columns { grid-template-columns: 1fr; } }
.filters { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 18px; margin-bottom: 10px; }
.filters select { font: inherit; padding: 4px 8px; border: 1px solid #ccd1d7; border-radius: 6px; background: #fff; }
.table-scroll { max-height: 560px; overflow: auto; border: 1px solid var(--line); border-radius: 10px; }
table.tasks { width: 100%; }
table.tasks thead th { position: sticky; top: 0; background: #fff; z-index: 1; }
table.tasks tr.task-row { cursor: pointer; }
table.tasks tr.task-row:focus { outline: 2px solid var(--accent); outline-offset: -2px; }
table.tasks td.description { max-width: 520px; color: #333; }
.column-hidden { display: none; }
button.show-more { font: inherit; font-size: 12.5px; color: var(--accent); background: none; border: 1px solid #ccd1d7; border-radius: 6px; padding: 3px 12px; cursor: pointer; }
details.more-plots { margin-top: 14px; }
details.more-plots > summary { color: var(--accent); margin-bottom: 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; white-space: nowrap; }
.badge.passed { color: var(--pass); background: var(--pass-bg); }
.badge.failed { color: var(--fail); background: var(--fail-bg); }
.badge.error { color: var(--error); background: var(--error-bg); }
.badge.other { color: var(--other); background: var(--other-bg); }
.badge .count { font-weight: 400; opacity: 0.8; }
dialog#task-dialog { width: min(1400px, 95vw); max-height: 90vh; border: none; border-radius: 12px; padding: 0; box-shadow: 0 20px 60px rgba(0,0,0,0.25); }
dialog::backdrop { background: rgba(20, 24, 28, 0.45); }
.dialog-bar { position: sticky; top: 0; display: flex; align-items: center; gap: 8px; padding: 10px 16px; background: var(--panel); border-bottom: 1px solid var(--line); z-index: 2; }
.dialog-bar #dialog-title { flex: 1; font-weight: 600; }
.dialog-bar button { font: inherit; padding: 3px 12px; border: 1px solid #ccd1d7; border-radius: 6px; background: #fff; cursor: pointer; }
#dialog-body { padding: 14px 20px 22px; }
.task-text { font-size: 15px; max-width: 900px; }
details { margin: 8px 0; }
summary { cursor: pointer; font-weight: 600; }
pre { margin: 6px 0; padding: 10px 12px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: auto; font: 12px/1.45 ui-monospace, "SF Mono", Menlo, Consolas, monospace; white-space: pre; }
details.reasoning pre { white-space: pre-wrap; max-height: 240px; }
.code-grid { display: grid; grid-template-columns: repeat(var(--columns, 3), minmax(0, 1fr)); gap: 12px; margin-top: 12px; }
.code-card { border: 1px solid var(--line); border-top: 4px solid var(--other); border-radius: 10px; padding: 8px 10px; min-width: 0; }
.code-card.passed { border-top-color: var(--pass); } .code-card.failed { border-top-color: var(--fail); } .code-card.error { border-top-color: #d4a72c; }
.code-card.selected { box-shadow: 0 0 0 2px var(--accent); }
.code-card header { display: flex; justify-content: space-between; align-items: center; margin-bottom: 4px; }
.code-card .variant { font-weight: 700; }
.code-card pre.code { max-height: 380px; }
.sample-note { margin: 4px 0; font: 11.5px/1.4 ui-monospace, Menlo, Consolas, monospace; color: var(--fail); white-space: pre-wrap; }
.metrics { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0; }
.metric { font-size: 11px; background: var(--panel); border-radius: 4px; padding: 0 6px; }
.metric-name { color: var(--muted); }
.provenance-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; align-items: start; }
table.provenance td { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
table.provenance th { font-weight: 500; color: #444; white-space: nowrap; }
`;

export const PAGE_SCRIPT = `
for (const button of document.querySelectorAll('button.show-more')) {
  button.addEventListener('click', () => {
    const target = document.getElementById(button.dataset.target);
    target.hidden = !target.hidden;
    button.textContent = button.textContent.replace(/^(Show|Hide)/, target.hidden ? 'Show' : 'Hide');
  });
}

(() => {
  const depthSelect = document.getElementById('filter-depth');
  const outcomeSelect = document.getElementById('filter-outcome');
  const table = document.getElementById('task-table');
  const dialog = document.getElementById('task-dialog');
  if (!depthSelect || !outcomeSelect || !table || !dialog) return;
  const rows = Array.from(table.querySelectorAll('tr.task-row'));
  const count = document.getElementById('task-count');
  const body = document.getElementById('dialog-body');
  const title = document.getElementById('dialog-title');
  let current = null;

  function applyFilters() {
    const depth = depthSelect.value;
    const outcome = outcomeSelect.value;
    let shown = 0;
    for (const row of rows) {
      const outcomes = JSON.parse(row.dataset.outcomes);
      const candidates = depth ? [outcomes[depth]] : Object.values(outcomes);
      const visible = !outcome || candidates.includes(outcome);
      row.hidden = !visible;
      if (visible) shown++;
    }
    for (const cell of table.querySelectorAll('[data-column]')) {
      cell.classList.toggle('column-hidden', depth !== '' && cell.dataset.column !== depth);
    }
    count.textContent = shown + ' of ' + rows.length + ' tasks';
  }

  function open(row) {
    const template = document.getElementById('task-detail-' + row.dataset.task);
    if (!template) return;
    current = row;
    body.replaceChildren(template.content.cloneNode(true));
    title.textContent = 'Task ' + row.dataset.task;
    const depth = depthSelect.value;
    for (const card of body.querySelectorAll('.code-card')) card.classList.toggle('selected', card.dataset.column === depth);
    if (!dialog.open) dialog.showModal();
    history.replaceState(null, '', '#task-' + row.dataset.task);
  }

  function step(offset) {
    const visible = rows.filter((row) => !row.hidden);
    const index = visible.indexOf(current);
    const next = visible[index + offset];
    if (next) open(next);
  }

  depthSelect.addEventListener('change', applyFilters);
  outcomeSelect.addEventListener('change', applyFilters);
  table.addEventListener('click', (event) => {
    const row = event.target.closest('tr.task-row');
    if (row) open(row);
  });
  table.addEventListener('keydown', (event) => {
    const row = event.target.closest('tr.task-row');
    if (row && event.key === 'Enter') open(row);
  });
  dialog.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowRight') step(1);
    if (event.key === 'ArrowLeft') step(-1);
  });
  dialog.addEventListener('close', () => history.replaceState(null, '', location.pathname));
  document.getElementById('dialog-close').addEventListener('click', () => dialog.close());
  document.getElementById('dialog-next').addEventListener('click', () => step(1));
  document.getElementById('dialog-previous').addEventListener('click', () => step(-1));
  applyFilters();
  const linked = /^#task-(\\d+)$/.exec(location.hash);
  if (linked) {
    const row = rows.find((candidate) => candidate.dataset.task === linked[1]);
    if (row) open(row);
  }
})();
`;
