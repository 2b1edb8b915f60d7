// Plotly, loaded from this server the first time a page draws a chart.

import { h, replace } from './dom.js';
import { ApiError } from './api.js';

let loading = null;

/** Loads the vendored plotly.js once; resolves to `window.Plotly`. */
export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = `${document.body.dataset.assets}/vendor/plotly.min.js`;
      script.async = true;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => { loading = null; reject(new Error('The chart library could not be loaded')); };
      document.head.append(script);
    });
  }
  return loading;
}

const baseLayout = {
  font: { family: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif', size: 12, color: '#1d2733' },
  paper_bgcolor: 'rgba(0,0,0,0)',
  plot_bgcolor: 'rgba(0,0,0,0)',
  margin: { t: 40, r: 16, b: 48, l: 56 },
};

/** A chart container with an accessible name; `draw` fills it. */
export function chartBox(label, { tall = false } = {}) {
  return h('div', { class: `chart${tall ? ' tall' : ''}`, role: 'img', 'aria-label': label },
    h('p', { class: 'loading', role: 'status' }, 'Loading chart…'));
}

/**
 * WebGL traces and their SVG twins. plotly.js draws WebGL traces with regl, which
 * compiles its shaders' glue code with `Function(...)`: the page's policy (no
 * 'unsafe-eval') refuses that, so they are drawn as SVG (fine for the few thousand
 * points the server's figures carry).
 */
const SVG_TWIN = { scattergl: 'scatter', scatterpolargl: 'scatterpolar' };

/**
 * Adapts a server figure to the page: WebGL traces drawn as SVG,
 * the figure's title moved into the card's heading (when given), the legend on top,
 * log axes labelled at powers of ten.
 */
function adapt(fig, heading) {
  const data = (Array.isArray(fig && fig.data) ? fig.data : []).map((t) =>
    (SVG_TWIN[t.type] ? { ...t, type: SVG_TWIN[t.type] } : t));
  const layout = { ...baseLayout, ...(fig && fig.layout), autosize: true };
  const title = layout.title && (typeof layout.title === 'string' ? layout.title : layout.title.text);
  if (heading && title) {
    heading.textContent = title;
    delete layout.title;
  }
  if (layout.legend && layout.legend.orientation === 'h') {
    layout.legend = { ...layout.legend, x: 0, xanchor: 'left', y: 1.02, yanchor: 'bottom' };
  }
  layout.margin = { ...baseLayout.margin, ...layout.margin, t: layout.title ? 50 : 36 };
  for (const axis of ['xaxis', 'yaxis']) {
    if (layout[axis] && layout[axis].type === 'log' && layout[axis].dtick === undefined) layout[axis] = { ...layout[axis], dtick: 1 };
  }
  return { data, layout };
}

/** Draws a Plotly figure `{data, layout}` in `el` (replacing its content). */
export async function draw(el, fig, { heading } = {}) {
  const Plotly = await loadPlotly();
  if (!el.isConnected) return;
  replace(el);
  const { data, layout } = adapt(fig, heading);
  if (!layout.height) layout.height = el.classList.contains('tall') ? 460 : 340;
  if (!data.length) {
    replace(el, h('p', { class: 'empty-title chart-empty' }, 'No data to chart.'));
    return;
  }
  await Plotly.newPlot(el, data, layout, { responsive: true, displaylogo: false });
  el.dataset.drawn = 'true';
}

/** Fetches a figure with `load()` and draws it, showing failures in place. */
export async function drawFrom(el, load, options = {}) {
  try {
    const fig = await load();
    await draw(el, fig, options);
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    const text = e instanceof ApiError ? e.summary : e.message;
    replace(el, h('p', { class: 'banner error', role: 'alert' }, `Chart unavailable: ${text}`));
  }
}

/** Frees a chart's listeners (when a page is left). */
export function purge(el) {
  if (window.Plotly && el) window.Plotly.purge(el);
}
