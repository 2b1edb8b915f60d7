// Models: the registry list; one model's versions, metrics, aliases, signature and a
// predict form generated from the signature.

import { h, replace, when, int, num3f } from '../dom.js';
import { get, post, ApiError, isAbort } from '../api.js';
import { loading, empty, errorBanner, pageHeader, dataTable, section, facts, field, showFieldErrors, clearFieldErrors, badge } from '../ui.js';
import { can, cannot } from '../session.js';

const aliasChips = (aliases) => {
  const entries = Array.isArray(aliases) ? aliases.map((a) => [a, null]) : Object.entries(aliases || {});
  return entries.length ? entries.map(([a, v]) => h('span', { class: 'chip' }, v === null ? a : `${a} → v${v}`)) : '—';
};

const metricText = (metrics) => {
  const entries = Object.entries(metrics || {});
  if (!entries.length) return '—';
  return entries.slice(0, 4).map(([k, v]) => `${k} ${typeof v === 'number' ? num3f(v) : JSON.stringify(v)}`).join(' · ');
};

async function listView(view, ctx) {
  const body = h('div', { class: 'card' }, loading('Loading models…'));
  replace(view, pageHeader('Models', 'Deployed ONNX models: versions, aliases, metrics, and a form to try each one.'), body);
  let list;
  try {
    list = await get('/api/models', null, { signal: ctx.signal });
  } catch (e) {
    if (isAbort(e)) throw e;
    replace(body, errorBanner(e));
    return null;
  }
  if (!list.items.length) {
    replace(body, empty('No models deployed',
      h('span', {}, 'Deploy one with ', h('code', {}, 'retort models deploy FILE.onnx --name NAME'), ', from Python with the client, or train the fair-price model from the overview.'),
      h('a', { href: '/' }, 'Go to the overview')));
    return null;
  }
  replace(body, dataTable({
    caption: 'Models',
    columns: [
      { key: 'name', label: 'Model', render: (m) => h('a', { href: `/models/${encodeURIComponent(m.name)}` }, m.name) },
      { key: 'latest_version', label: 'Latest version', num: true, render: (m) => (m.latest_version ? `v${m.latest_version}` : '—') },
      { key: 'versions', label: 'Versions', num: true, render: (m) => int(m.versions.length) },
      { key: 'aliases', label: 'Aliases', render: (m) => aliasChips(m.aliases) },
      { key: 'updated_at', label: 'Last change', render: (m) => when(m.updated_at) },
    ],
    rows: list.items,
  }));
  return null;
}

/** The input for one signature column; `data-path` is where the API reports its errors. */
function columnInput(col) {
  const path = `/rows/0/${col.name}`;
  const attrs = { name: col.name, 'data-path': path, 'data-dtype': col.dtype };
  let control;
  if (col.dtype === 'bool') {
    control = h('select', attrs, h('option', { value: '' }, '—'), h('option', { value: 'true' }, 'true'), h('option', { value: 'false' }, 'false'));
  } else if (col.dtype === 'string') {
    control = h('input', { ...attrs, type: 'text', autocomplete: 'off' });
  } else {
    const integer = col.dtype.startsWith('int') || col.dtype.startsWith('uint');
    control = h('input', { ...attrs, type: 'number', step: integer ? '1' : 'any', inputmode: integer ? 'numeric' : 'decimal' });
  }
  const hint = `${col.dtype}${col.nullable ? ', empty = missing (null)' : ''}`;
  return field(col.name, control, hint);
}

/** Reads the form into one row: numbers as numbers, empty nullable numbers as null. */
function readRow(form, columns) {
  const row = {};
  for (const col of columns) {
    const el = form.elements.namedItem(col.name);
    if (!el) continue;
    const raw = el.value.trim();
    // Empty: null where allowed, else left out (the API names the missing column).
    if (raw === '') { if (col.nullable) row[col.name] = null; continue; }
    if (col.dtype === 'string') { row[col.name] = el.value; continue; }
    if (col.dtype === 'bool') { row[col.name] = raw === 'true'; continue; }
    const n = Number(raw);
    row[col.name] = Number.isFinite(n) ? n : raw;
  }
  return row;
}

function predictionView(answer) {
  const p = answer.predictions && answer.predictions[0];
  let shown;
  if (p && typeof p === 'object' && !Array.isArray(p) && 'label' in p) {
    const probs = Object.entries(p.probabilities || {}).sort((a, b) => b[1] - a[1]);
    shown = [h('p', { class: 'stat-value' }, String(p.label)),
      probs.length ? dataTable({ caption: 'Class probabilities', columns: [{ key: 0, label: 'Class' }, { key: 1, label: 'Probability', num: true, render: (r) => num3f(r[1]) }], rows: probs }) : null];
  } else {
    shown = h('p', { class: 'stat-value', 'data-prediction': '' }, Array.isArray(p) ? p.map(num3f).join(', ') : typeof p === 'number' ? num3f(p) : JSON.stringify(p));
  }
  return h('div', { class: 'banner success', role: 'status' }, h('p', {}, `${answer.model} v${answer.version} predicts:`), shown);
}

function predictForm(name, version) {
  const columns = version.signature.columns || [];
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'predict', novalidate: true, 'aria-label': `Predict with ${name} v${version.version}` },
    h('div', { class: 'form-errors' }),
    columns.length ? h('div', { class: 'form-grid' }, columns.map(columnInput))
      : h('p', { class: 'hint' }, 'This version takes no columns.'),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'primary' }, 'Predict')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearFieldErrors(form);
    replace(out, loading('Predicting…'));
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const { data } = await post(`/api/models/${encodeURIComponent(name)}/versions/${version.version}/predict`, { rows: [readRow(form, columns)] });
      replace(out, predictionView(data));
    } catch (err) {
      replace(out);
      showFieldErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return [form, out];
}

/** The deploy's fidelity check: the version's predictions against the library's own. */
function fidelityView(f) {
  if (!f) return h('p', { class: 'hint' }, 'No sample was checked at deploy (send check_sample with the library\'s predictions).');
  const sci = (x) => (x === null || x === undefined ? '—' : Number(x).toExponential(2));
  return [
    h('p', {}, badge(f.passed ? 'passed' : 'differs'), ' ', f.passed
      ? `Predictions equal the library's on all ${int(f.rows)} sample rows (tolerance ${sci(f.tolerance)} relative).`
      : `${int(f.differing)} of ${int(f.rows)} sample rows differ beyond ${sci(f.tolerance)}; deployed anyway.`),
    facts([
      ['Largest relative difference', sci(f.max_rel_diff)],
      ['Largest absolute difference', sci(f.max_abs_diff)],
      f.label_agreement === null || f.label_agreement === undefined ? null : ['Labels agree', `${num3f(100 * f.label_agreement)} %`],
      f.note ? ['Why', f.note] : null,
    ]),
    f.worst && f.worst.length ? dataTable({
      caption: 'Rows that differ most',
      columns: [
        { key: 'row', label: 'Row', num: true, render: (d) => int(d.row) },
        { key: 'expected', label: 'Library', num: true, render: (d) => JSON.stringify(d.expected) },
        { key: 'predicted', label: 'This version', num: true, render: (d) => JSON.stringify(d.predicted) },
        { key: 'rel_diff', label: 'Relative difference', num: true, render: (d) => sci(d.rel_diff) },
      ],
      rows: f.worst,
    }) : null,
  ];
}

function versionDetail(name, v) {
  const sig = v.signature || {};
  const metrics = Object.entries(v.metrics || {});
  return [
    h('div', { class: 'grid' },
      section(`Version ${v.version}`, facts([
        ['Description', v.description || '—'],
        ['Framework', v.framework || '—'],
        ['Backend', h('code', {}, v.backend)],
        ['Task', sig.task || '—'],
        ['Aliases', aliasChips(v.aliases)],
        ['Size', `${int(v.size_bytes)} bytes`],
        ['SHA-256', h('code', { class: 'mono' }, (v.sha256 || '').slice(0, 16) + '…')],
        ['Deployed', when(v.created_at)],
        v.ensemble ? ['Ensemble', `${v.ensemble.method}: ${(v.ensemble.members || []).map((m) => `${m.model} v${m.version}`).join(', ')}`] : null,
      ])),
      section('Metrics', metrics.length
        ? facts(metrics.map(([k, val]) => [k, typeof val === 'number' ? num3f(val) : JSON.stringify(val)]))
        : h('p', { class: 'hint' }, 'No metrics were given at deploy.')),
      section('Fidelity', fidelityView(v.fidelity))),
    section('Signature',
      dataTable({
        caption: 'Input columns',
        columns: [
          { key: 'name', label: 'Column', render: (c) => h('code', {}, c.name) },
          { key: 'dtype', label: 'Type' },
          { key: 'nullable', label: 'Null allowed', render: (c) => (c.nullable ? 'yes' : 'no') },
          { key: 'input', label: 'Graph input', render: (c) => `${c.input}[${c.index}]` },
        ],
        rows: sig.columns || [],
      }),
      h('p', { class: 'hint' }, `Outputs: ${(sig.outputs || []).map((o) => `${o.name} (${o.type})`).join(', ') || '—'}`,
        sig.class_labels ? ` · classes: ${sig.class_labels.join(', ')}` : '')),
    section('Try it', can('predict') ? predictForm(name, v) : h('p', { class: 'note' }, cannot('Predicting', 'predict'))),
  ];
}

async function detailView(view, ctx) {
  const name = ctx.params.name;
  const head = [h('p', { class: 'crumbs' }, h('a', { href: '/models' }, 'Models'), ' / ', name), pageHeader(name, 'Versions, aliases, metrics and signature')];
  const versionsBox = h('div', { class: 'card' }, loading('Loading versions…'));
  const detail = h('div', {});
  replace(view, head, versionsBox, detail);
  let model;
  try {
    model = await get(`/api/models/${encodeURIComponent(name)}`, null, { signal: ctx.signal });
  } catch (e) {
    if (isAbort(e)) throw e;
    replace(versionsBox, e instanceof ApiError && e.status === 404
      ? empty('No such model', `No model is named ${name}.`, h('a', { href: '/models' }, 'All models'))
      : errorBanner(e));
    return null;
  }
  const numbers = [...model.versions].reverse().slice(0, 20);
  const versions = await Promise.all(numbers.map((n) =>
    get(`/api/models/${encodeURIComponent(name)}/versions/${n}`, null, { signal: ctx.signal }).catch((e) => {
      if (isAbort(e)) throw e;
      return { version: n, error: e };
    })));

  const draw = async (c) => {
    const wanted = Number(c.query.get('version')) || model.aliases.production || model.latest_version;
    // An older version than the table shows is fetched when asked for.
    if (model.versions.includes(wanted) && !versions.some((x) => x.version === wanted)) {
      try {
        versions.push(await get(`/api/models/${encodeURIComponent(name)}/versions/${wanted}`, null, { signal: c.signal }));
      } catch (e) {
        if (isAbort(e)) return;
        versions.push({ version: wanted, error: e });
      }
    }
    replace(versionsBox,
      h('h2', {}, 'Versions'),
      model.versions.length > numbers.length ? h('p', { class: 'hint' }, `The latest ${numbers.length} of ${model.versions.length} versions.`) : null,
      dataTable({
        caption: 'Versions',
        columns: [
          { key: 'version', label: 'Version', render: (v) => (v.version === wanted ? h('strong', { 'aria-current': 'true' }, `v${v.version}`) : h('a', { href: `/models/${encodeURIComponent(name)}?version=${v.version}` }, `v${v.version}`)) },
          { key: 'aliases', label: 'Aliases', render: (v) => (v.error ? '—' : aliasChips(v.aliases)) },
          { key: 'framework', label: 'Framework', render: (v) => v.framework || '—' },
          { key: 'backend', label: 'Backend', render: (v) => (v.backend ? badge(v.backend) : '—') },
          { key: 'metrics', label: 'Metrics', render: (v) => (v.error ? errorBanner(v.error) : metricText(v.metrics)) },
          { key: 'created_at', label: 'Deployed', render: (v) => when(v.created_at) },
        ],
        rows: versions,
      }));
    const v = versions.find((x) => x.version === wanted);
    if (!v) replace(detail, empty('No such version', `${name} has no version ${c.query.get('version')}.`));
    else if (v.error) replace(detail, errorBanner(v.error));
    else replace(detail, versionDetail(name, v));
  };
  await draw(ctx);
  return { update: draw };
}

/** Draws the model list or one model. */
export function render(view, ctx) {
  return ctx.view === 'detail' ? detailView(view, ctx) : listView(view, ctx);
}
