// The API client: JSON in and out, problem+json errors as ApiError.

/** An API answer that is not a success, with the RFC 9457 problem it carried. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  /** `errors: [{path, message, location}]`, or []. */
  get fieldErrors() {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }

  /** A sentence for a banner. */
  get summary() {
    const { title, detail } = this.problem;
    if (title && detail && detail !== title) return `${title}: ${detail}`;
    return title || detail || this.message;
  }
}

/** Builds a URLSearchParams from an object (arrays repeat the key; empty values are left out). */
export function params(object) {
  const p = new URLSearchParams();
  for (const [key, value] of Object.entries(object || {})) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== null && v !== undefined && v !== '') p.append(key, String(v));
    }
  }
  return p;
}

/** `path` with its query string (`query`: URLSearchParams or object). */
export function url(path, query) {
  const p = query instanceof URLSearchParams ? query : params(query);
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

async function read(response) {
  const type = response.headers.get('content-type') || '';
  if (response.status === 204) return null;
  if (type.includes('json')) return response.json();
  return response.text();
}

async function send(method, path, { query, body, signal } = {}) {
  const init = { method, signal, headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const target = url(path, query);
  let response;
  try {
    response = await fetch(target, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'The server did not answer', detail: 'Check that retort is running, then try again.' });
  }
  let data;
  try {
    data = await read(response);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    data = null;
  }
  if (response.status === 401 && !path.startsWith('/api/session') && location.pathname !== '/sign-in') {
    // The session ended (signed out elsewhere, expired, key revoked): sign in again.
    const here = location.pathname + location.search;
    location.assign(`/sign-in?next=${encodeURIComponent(here)}`);
  }
  if (!response.ok) {
    const problem = data && typeof data === 'object' ? data : { title: response.statusText || `HTTP ${response.status}`, detail: typeof data === 'string' ? data.slice(0, 300) : undefined };
    throw new ApiError(response.status, problem);
  }
  return { status: response.status, headers: response.headers, data };
}

/** GET a JSON document. */
export async function get(path, query, { signal } = {}) {
  return (await send('GET', path, { query, signal })).data;
}

/** POST JSON; the whole answer ({status, headers, data}). */
export function post(path, body = {}, { signal, query } = {}) {
  return send('POST', path, { body, signal, query });
}

/** Whether the error is a fetch that was aborted because the page changed. */
export const isAbort = (e) => e && e.name === 'AbortError';
