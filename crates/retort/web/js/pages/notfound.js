// A path the dashboard does not know.

import { h, replace } from '../dom.js';
import { pageHeader, empty } from '../ui.js';

/** Draws the not-found page. */
export function render(view) {
  replace(view, pageHeader('Page not found'),
    h('div', { class: 'card' }, empty('Nothing here', `The dashboard has no page at ${location.pathname}.`, h('a', { href: '/' }, 'Go to the overview'))));
  return null;
}
