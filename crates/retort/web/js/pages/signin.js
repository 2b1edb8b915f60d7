// Sign-in: paste a key, or arrive by the link `serve` prints (`/sign-in#key=…`: the key in
// the fragment never reaches a server). The key is exchanged for a session cookie.

import { h, replace } from '../dom.js';
import { post, ApiError } from '../api.js';
import { pageHeader, field, errorBanner } from '../ui.js';

/** Only a path of this dashboard, never another site. */
function nextPath(query) {
  const next = query.get('next') || '/';
  return /^\/(?!\/)/.test(next) && !next.startsWith('/sign-in') ? next : '/';
}

async function exchange(key, query, where) {
  try {
    await post('/api/session', { key });
    location.replace(nextPath(query));
    return true;
  } catch (e) {
    const text = e instanceof ApiError && e.status === 401
      ? 'That key does not work: it is unknown, revoked or expired.'
      : null;
    replace(where, text ? h('div', { class: 'banner error', role: 'alert' }, text) : errorBanner(e, 'Signing in failed'));
    return false;
  }
}

export async function render(view, ctx) {
  const message = h('div', { 'data-sign-in-message': '' });
  // A key in the fragment: take it out of the address bar and history first.
  const fragment = new URLSearchParams(location.hash.slice(1));
  const linked = fragment.get('key');
  if (linked) history.replaceState(null, '', location.pathname + location.search);
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false', placeholder: 'rtk_…' });
  const form = h('form', { class: 'sign-in card', novalidate: true },
    field('API key', input, 'An admin makes one with `retort keys create --name YOU --role viewer`; a new server prints its first admin key once.'),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      replace(message, h('div', { class: 'banner error', role: 'alert' }, 'Paste your API key.'));
      return;
    }
    const button = form.querySelector('button');
    button.disabled = true;
    if (!(await exchange(key, ctx.query, message))) button.disabled = false;
  });
  replace(view, pageHeader('Sign in', 'The dashboard acts with the roles of your API key.'), message, form);
  if (linked) await exchange(linked, ctx.query, message);
  else input.focus();
}
