// Who is signed in: the caller behind this browser's session (or the server's anonymous
// role), what it may do, and signing out. Pages ask `can(permission)` to hide what the
// roles do not allow; the server enforces it either way.

import { ApiError } from './api.js';

let caller = null;

/** Loads the caller (GET /api/session); null when nobody is signed in. */
export async function loadCaller() {
  const response = await fetch('/api/session', { headers: { accept: 'application/json' } });
  if (response.status === 401) {
    caller = null;
    return null;
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    throw new ApiError(response.status, problem);
  }
  caller = await response.json();
  return caller;
}

/** The signed-in caller: {name, key_id, roles, permissions, via}, or null. */
export const currentCaller = () => caller;

/** Whether the caller's roles grant `permission` (e.g. `decisions:approve`). */
export const can = (permission) => Boolean(caller && caller.permissions.includes(permission));

/** The roles that grant a permission, for "ask for …" notes. */
export const ROLE_FOR = {
  'jobs:start': 'analyst',
  'jobs:cancel': 'analyst',
  'catalogue:write': 'analyst',
  'decisions:approve': 'approver',
  predict: 'predictor or analyst',
  'models:manage': 'admin',
};

/** A sentence saying what the caller cannot do and which role would allow it. */
export function cannot(what, permission) {
  return `${what} needs the ${permission} permission (role ${ROLE_FOR[permission] || 'admin'}); you are signed in as ${caller ? caller.name : 'nobody'}.`;
}

/** Where the sign-in page sends the browser back to afterwards. */
export function signInPath() {
  const here = location.pathname + location.search;
  return here === '/' || here.startsWith('/sign-in') ? '/sign-in' : `/sign-in?next=${encodeURIComponent(here)}`;
}

/** Ends the session on the server, then goes to the sign-in page. */
export async function signOut() {
  await fetch('/api/session', { method: 'DELETE' }).catch(() => {});
  caller = null;
  location.assign('/sign-in');
}
