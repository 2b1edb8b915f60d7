// Building blocks shared by the pages: states, tables, pagers, field errors, dialogs.

import { h, replace, int, uniqueId } from './dom.js';
import { ApiError } from './api.js';

/** A loading state (announced to screen readers). */
export const loading = (text = 'Loading…') => h('p', { class: 'loading', role: 'status' }, text);

/** An empty state: a title, an explanation, optionally an action (a node). */
export const empty = (title, text, action) =>
  h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), text && h('p', {}, text), action);

/** An error banner for any error (ApiError or not). */
export function errorBanner(err, prefix) {
  const text = err instanceof ApiError ? err.summary : (err && err.message) || String(err);
  const list = err instanceof ApiError && err.fieldErrors.length
    ? h('ul', {}, err.fieldErrors.map((e) => h('li', {}, h('code', {}, e.path), ' ', e.message)))
    : null;
  return h('div', { class: 'banner error', role: 'alert' }, prefix ? `${prefix}: ${text}` : text, list);
}

/** A success or information banner. */
export const banner = (text, kind = 'info') => h('div', { class: `banner ${kind}`, role: 'status' }, text);

/** A page heading with optional subtitle and actions. */
export const pageHeader = (title, subtitle, ...actions) =>
  h('div', { class: 'page-head' },
    h('div', {}, h('h1', { tabindex: '-1' }, title), subtitle && h('p', { class: 'subtitle' }, subtitle)),
    actions.length ? h('div', { class: 'actions' }, actions) : null);

/** A figure card: label and value. */
export const stat = (label, value, note) =>
  h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value' }, value), note && h('span', { class: 'stat-note' }, note));

/** A status word as a coloured badge. */
export const badge = (status) => h('span', { class: `badge badge-${String(status).replace(/[^a-z_]/g, '')}` }, String(status).replace(/_/g, ' '));

/** A description list from [label, value] pairs. */
export const facts = (pairs) => h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));

/** A section with a heading. */
export const section = (title, ...children) => h('section', { class: 'card' }, h('h2', {}, title), children);

/**
 * A table. columns: [{key, label, sort?: API sort field, num?: true, render?: row => node}].
 * sort: the current sort string (`-gap`); onSort(newSort) when a sortable header is used.
 * select: {isSelected(row), onToggle(row, checked), label(row)} adds a checkbox column.
 */
export function dataTable({ columns, rows, sort, onSort, caption, select, rowClass }) {
  const current = sort ? sort.replace(/^-/, '') : null;
  const desc = sort ? sort.startsWith('-') : false;
  const selectable = select ? rows.filter((r) => !select.canSelect || select.canSelect(r)) : [];
  const allBox = select && select.onToggleAll ? h('input', {
    type: 'checkbox', 'aria-label': 'Select every row of this page', 'data-select-all': '',
    disabled: selectable.length === 0,
    checked: selectable.length > 0 && selectable.every((r) => select.isSelected(r)),
    onchange: (e) => select.onToggleAll(selectable, e.target.checked),
  }) : null;
  const head = h('tr', {},
    select ? h('th', { scope: 'col', class: 'select' }, allBox || h('span', { class: 'visually-hidden' }, 'Select')) : null,
    columns.map((c) => {
      const active = c.sort && c.sort === current;
      const ariaSort = active ? (desc ? 'descending' : 'ascending') : null;
      let content = c.label;
      if (c.sort && onSort) {
        const next = active && !desc ? `-${c.sort}` : active && desc ? c.sort : (c.defaultDesc ? `-${c.sort}` : c.sort);
        content = h('button', {
          type: 'button', class: 'sort', 'data-sort': c.sort,
          onclick: () => onSort(next),
        }, c.label, h('span', { class: 'sort-mark', 'aria-hidden': 'true' }, active ? (desc ? ' ▼' : ' ▲') : ' ↕'));
      }
      return h('th', { scope: 'col', class: c.num ? 'num' : null, 'aria-sort': ariaSort }, content);
    }));
  const body = h('tbody', {}, rows.map((row) => h('tr', { class: rowClass ? rowClass(row) : null },
    select ? h('td', { class: 'select' }, h('input', {
      type: 'checkbox', 'aria-label': select.label(row), checked: select.isSelected(row),
      disabled: select.canSelect ? !select.canSelect(row) : false,
      onchange: (e) => select.onToggle(row, e.target.checked),
    })) : null,
    columns.map((c) => h('td', { class: c.num ? 'num' : null }, c.render ? c.render(row) : fmtCell(row[c.key]))))));
  const table = h('table', { class: 'data' }, caption && h('caption', { class: 'visually-hidden' }, caption), h('thead', {}, head), body);
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption || 'Table', tabindex: '0' }, table);
}

const fmtCell = (v) => (v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : String(v));

/**
 * Cursor pagination controls. state: {offset, count, total, hasPrev, hasNext}.
 * Handlers: onFirst, onPrev, onNext. limit: the page size; onLimit(n) to change it.
 */
export function pager({ offset, count, total, hasPrev, hasNext, atStart, onFirst, onPrev, onNext, limit, onLimit }) {
  const from = count ? offset + 1 : 0;
  const to = offset + count;
  const id = uniqueId('limit');
  return h('div', { class: 'pager' },
    h('p', { class: 'pager-text', role: 'status' }, count ? `${int(from)}–${int(to)} of ${int(total)}` : `0 of ${int(total)}`),
    h('div', { class: 'pager-buttons' },
      h('button', { type: 'button', disabled: atStart === undefined ? !hasPrev && offset === 0 : atStart, onclick: onFirst }, '« First'),
      h('button', { type: 'button', disabled: !hasPrev, onclick: onPrev }, '‹ Previous'),
      h('button', { type: 'button', disabled: !hasNext, onclick: onNext, 'data-next': '' }, 'Next ›'),
      onLimit ? h('span', { class: 'nowrap' }, h('label', { for: id, class: 'inline' }, 'Rows '),
        h('select', { id, onchange: (e) => onLimit(Number(e.target.value)) },
          [25, 50, 100, 200].map((n) => h('option', { value: n, selected: n === limit }, String(n))))) : null));
}

/** Removes the field errors `showFieldErrors` put in `form`. */
export function clearFieldErrors(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.startsWith('err-'));
    if (ids.length) e.setAttribute('aria-describedby', ids.join(' ')); else e.removeAttribute('aria-describedby');
  });
  const summary = form.querySelector('.form-errors');
  if (summary) replace(summary);
}

/** The control for a JSON pointer (or query parameter): `[data-path]`, then its parents. */
function controlFor(form, path) {
  let p = path.startsWith('/') ? path : `/${path}`;
  while (p) {
    const el = form.querySelector(`[data-path="${CSS.escape(p)}"]`);
    if (el) return el;
    p = p.slice(0, p.lastIndexOf('/'));
  }
  return null;
}

/**
 * Shows an error next to the fields it names (`errors[].path`), the rest (and the
 * summary) in the form's `.form-errors` box; focuses the first named field.
 */
export function showFieldErrors(form, err) {
  clearFieldErrors(form);
  const summary = form.querySelector('.form-errors');
  const rest = [];
  let first = null;
  const errors = err instanceof ApiError ? err.fieldErrors : [];
  for (const e of errors) {
    const control = controlFor(form, e.path || '');
    if (!control) { rest.push(e); continue; }
    const id = `err-${uniqueId('f')}`;
    const message = h('p', { class: 'field-error', id }, e.message);
    const holder = control.closest('.field') || control.parentElement;
    holder.append(message);
    control.setAttribute('aria-invalid', 'true');
    const described = control.getAttribute('aria-describedby');
    control.setAttribute('aria-describedby', described ? `${described} ${id}` : id);
    first = first || control;
  }
  if (summary) {
    const text = err instanceof ApiError ? err.summary : (err && err.message) || String(err);
    replace(summary, h('div', { class: 'banner error', role: 'alert' }, text,
      rest.length ? h('ul', {}, rest.map((e) => h('li', {}, h('code', {}, e.path), ' ', e.message))) : null));
  }
  if (first) first.focus();
  else if (summary) summary.scrollIntoView({ block: 'nearest' });
}

/** Asks for confirmation in a modal `<dialog>`; resolves true on confirm. */
export function confirmDialog({ title, body, confirm = 'Confirm', cancel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    const titleId = uniqueId('dlg');
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
      h('form', { method: 'dialog' },
        h('h2', { id: titleId }, title),
        h('div', { class: 'dialog-body' }, body),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, cancel),
          h('button', { type: 'submit', value: 'confirm', class: danger ? 'danger' : 'primary' }, confirm))));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/** A labelled form field. control: an input/select; hint: optional help text. */
export function field(label, control, hint) {
  const id = control.id || uniqueId('fld');
  control.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint);
    control.setAttribute('aria-describedby', `${id}-hint`);
  }
  const isCheck = control.type === 'checkbox' || control.type === 'radio';
  return isCheck
    ? h('div', { class: 'field check' }, control, h('label', { for: id }, label), hintEl)
    : h('div', { class: 'field' }, h('label', { for: id }, label), control, hintEl);
}

/**
 * The pager of a cursor-paged list whose state is in the URL (`cursor`, `limit`) and in
 * `history.state` (`trail`: the cursors of the pages before, `offset`: rows before).
 * page: the API answer ({items, next_cursor, total}).
 */
export function cursorPager(ctx, page, defaultLimit = 50) {
  const q = ctx.query;
  const state = ctx.state || {};
  const trail = Array.isArray(state.trail) ? state.trail : [];
  const cursor = q.get('cursor');
  const offset = Number.isFinite(state.offset) ? state.offset : cursor ? null : 0;
  const limit = Number(q.get('limit')) || defaultLimit;
  const go = (mutate, nextState) => {
    const next = new URLSearchParams(q);
    mutate(next);
    ctx.setQuery(next, { state: nextState });
  };
  const known = offset !== null;
  const el = pager({
    offset: known ? offset : 0,
    count: page.items.length,
    total: page.total,
    hasPrev: trail.length > 0,
    hasNext: Boolean(page.next_cursor),
    atStart: !cursor,
    limit,
    onFirst: () => go((n) => n.delete('cursor'), { trail: [], offset: 0 }),
    onPrev: () => {
      const before = trail[trail.length - 1];
      go((n) => (before ? n.set('cursor', before) : n.delete('cursor')),
        { trail: trail.slice(0, -1), offset: known ? Math.max(0, offset - limit) : null });
    },
    onNext: () => go((n) => n.set('cursor', page.next_cursor),
      { trail: [...trail, cursor || ''], offset: known ? offset + page.items.length : null }),
    onLimit: (n) => go((p) => { p.set('limit', String(n)); p.delete('cursor'); }, { trail: [], offset: 0 }),
  });
  if (!known) el.querySelector('.pager-text').textContent = `${int(page.items.length)} rows of ${int(page.total)}`;
  return el;
}

/** A copy of `query` with `cursor` dropped (for a filter or sort change). */
export function firstPage(query) {
  const next = new URLSearchParams(query);
  next.delete('cursor');
  return next;
}
