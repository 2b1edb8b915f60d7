"""Schemathesis hooks for .ci/schemathesis.sh: rules of the API that a JSON Schema cannot
state, taught to the generator (no check is changed here).

- A list cursor (format `retort-cursor`) is opaque: only `next_cursor` of an earlier page
  is one. The empty cursor is the first page, so that is the valid one generated; the
  stateful phase follows `next_cursor` links for real ones.
- A range filter's `<field>_min` may not exceed its `<field>_max` (a 422 otherwise); the
  schema of each parameter cannot compare it with the other.
- The run authenticates with one admin key ($RETORT_ST_KEY, see schemathesis.sh). Answers
  carry that key's own id (`key_id` of `GET /api/session`, the `id`s of `GET /api/keys`),
  and the links Schemathesis infers from them reach `DELETE /api/keys/{id}`: without this
  hook a run revoked its own key part-way and every later request was a 401 that tested
  nothing. That one call is sent for an id no key has (a 404, as for any unknown key);
  every other key the run makes may be revoked.
"""

import os

import schemathesis
from hypothesis import strategies as st

schemathesis.openapi.format("retort-cursor", st.just(""))


def _number(value):
    """A bound as the server compares it: whole numbers exactly, others as floats."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    for kind in (int, float):
        try:
            return kind(value)
        except (TypeError, ValueError):
            continue
    return None


@schemathesis.hook
def filter_case(context, case):
    query = case.query or {}
    for name, low in query.items():
        if not name.endswith("_min"):
            continue
        high = query.get(name[: -len("_min")] + "_max")
        lo, hi = _number(low), _number(high)
        if lo is not None and hi is not None and lo > hi:
            return False
    return True


def _own_key_id():
    """The public id of the run's key: `rtk_<id>_<secret>`."""
    parts = os.environ.get("RETORT_ST_KEY", "").split("_")
    return parts[1] if len(parts) == 3 else None


OWN_KEY_ID = _own_key_id()
# Key ids are base32 (a-z, 2-7): zeros are never one.
NO_SUCH_KEY_ID = "0" * 12


@schemathesis.hook
def before_call(context, case, kwargs):
    if (
        OWN_KEY_ID
        and str(case.method).upper() == "DELETE"
        and case.path == "/api/keys/{id}"
        and (case.path_parameters or {}).get("id") == OWN_KEY_ID
    ):
        case.path_parameters["id"] = NO_SUCH_KEY_ID
