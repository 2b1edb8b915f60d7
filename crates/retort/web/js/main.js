// The dashboard's router: History API routes to page modules; the URL holds the state.

import { h, replace } from './dom.js';
import { errorBanner, loading } from './ui.js';
import { loadCaller, currentCaller, signInPath, signOut } from './session.js';

const routes = [
  { path: /^\/$/, section: 'overview', page: () => import('./pages/overview.js') },
  { path: /^\/explorer$/, section: 'explorer', page: () => import('./pages/explorer.js') },
  { path: /^\/products\/([^/]+)$/, keys: ['sku'], section: 'explorer', page: () => import('./pages/product.js') },
  { path: /^\/models$/, section: 'models', page: () => import('./pages/models.js'), view: 'list' },
  { path: /^\/models\/([^/]+)$/, keys: ['name'], section: 'models', page: () => import('./pages/models.js'), view: 'detail' },
  { path: /^\/jobs$/, section: 'jobs', page: () => import('./pages/jobs.js'), view: 'list' },
  { path: /^\/jobs\/([^/]+)$/, keys: ['id'], section: 'jobs', page: () => import('./pages/jobs.js'), view: 'detail' },
  { path: /^\/optimizations$/, section: 'optimizations', page: () => import('./pages/optimizations.js') },
  { path: /^\/optimizations\/([^/]+)$/, keys: ['id'], section: 'optimizations', page: () => import('./pages/optimization.js') },
  { path: /^\/evaluation$/, section: 'evaluation', page: () => import('./pages/evaluation.js') },
  { path: /^\/sign-in$/, section: null, page: () => import('./pages/signin.js'), public: true },
];

/** Paths that belong to the server, never to the dashboard. */
const SERVER_PATHS = /^\/(api|v2|docs|openapi\.json|healthz|readyz|assets)(\/|$)/;

const view = document.getElementById('view');
let current = null; // { route, path, instance, controller }

function match(pathname) {
  for (const route of routes) {
    const m = route.path.exec(pathname);
    if (m) {
      const params = {};
      (route.keys || []).forEach((k, i) => { params[k] = decodeURIComponent(m[i + 1]); });
      return { route, params };
    }
  }
  return null;
}

/** Goes to `href` (a path with its query), adding a history entry unless `replace`. */
export function navigate(href, { replace: replaceEntry = false, state = null } = {}) {
  if (replaceEntry) history.replaceState(state, '', href);
  else history.pushState(state, '', href);
  render({ fromHistory: false });
}

/** Changes the current URL's query (URLSearchParams) and lets the page update. */
function setQuery(query, options = {}) {
  const s = query.toString();
  navigate(`${location.pathname}${s ? `?${s}` : ''}`, options);
}

function markNav(section) {
  document.querySelectorAll('nav [data-section]').forEach((a) => {
    if (a.dataset.section === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

function titleFromView() {
  const h1 = view.querySelector('h1');
  document.title = h1 && h1.textContent ? `${h1.textContent} · Retort` : 'Retort';
}

async function render({ fromHistory }) {
  const found = match(location.pathname);
  const query = new URLSearchParams(location.search);
  if (current && found && current.route === found.route && current.path === location.pathname && current.instance && current.instance.update) {
    current.instance.update({ ...current.ctx, query, state: history.state });
    titleFromView();
    return;
  }
  if (current) {
    current.controller.abort();
    if (current.instance && current.instance.destroy) current.instance.destroy();
  }
  const controller = new AbortController();
  const ctx = {
    params: found ? found.params : {},
    query,
    state: history.state,
    signal: controller.signal,
    navigate,
    setQuery,
    view: found ? found.route.view : null,
  };
  current = { route: found && found.route, path: location.pathname, instance: null, controller, ctx };
  if (!(found && found.route.public) && !currentCaller()) {
    // Nobody signed in (and no anonymous role): to the sign-in page, then back here.
    location.replace(signInPath());
    return;
  }
  markNav(found ? found.route.section : null);
  replace(view, loading());
  if (!fromHistory && document.readyState === 'complete') window.scrollTo(0, 0);
  try {
    const module = found ? await found.route.page() : await import('./pages/notfound.js');
    if (controller.signal.aborted) return;
    const instance = await module.render(view, ctx);
    if (controller.signal.aborted) {
      if (instance && instance.destroy) instance.destroy();
      return;
    }
    current.instance = instance || null;
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    console.warn(e); // eslint-disable-line no-console
    replace(view, h('h1', { tabindex: '-1' }, 'Something went wrong'), errorBanner(e));
  }
  titleFromView();
  if (render.moved) {
    const h1 = view.querySelector('h1');
    if (h1) h1.focus({ preventScroll: true });
  }
  render.moved = true;
}
render.moved = false;

document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const a = event.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const target = new URL(a.href, location.href);
  if (target.origin !== location.origin || SERVER_PATHS.test(target.pathname)) return;
  event.preventDefault();
  if (target.pathname === location.pathname && target.search === location.search) return;
  navigate(target.pathname + target.search);
});

window.addEventListener('popstate', () => render({ fromHistory: true }));

/** Shows who is signed in, with a sign-out button, in the header. */
function showCaller(caller) {
  const box = document.getElementById('who');
  if (!box) return;
  if (!caller) {
    replace(box);
    return;
  }
  const roles = caller.roles.join(', ');
  replace(box,
    h('span', { 'data-caller': caller.name, title: `Roles: ${roles}` }, caller.name, ' ', h('span', { class: 'roles' }, `(${roles})`)),
    caller.via === 'session' ? h('button', { type: 'button', class: 'link', 'data-sign-out': '', onclick: signOut }, 'Sign out') : null,
    caller.via === 'anonymous' ? h('a', { href: '/sign-in' }, 'Sign in') : null);
}

// The sign-in page needs no caller (and asking would only answer 401).
(location.pathname === '/sign-in' ? Promise.resolve(null) : loadCaller())
  .then(showCaller, (e) => console.warn(e)) // eslint-disable-line no-console
  .finally(() => render({ fromHistory: true }));
