"""Schemathesis hooks for .ci/schemathesis.sh: rules of the API that a JSON Schema cannot
state, taught to the generator (no check is changed here).

- A list cursor (format `retort-cursor`) is opaque: only `next_cursor` of an earlier page
  is one. The empty cursor is the first page, so that is the valid one generated; the
  stateful phase follows `next_cursor` links for real ones.
- A range filter's `<field>_min` may not exceed its `<field>_max` (a 422 otherwise); the
  schema of each parameter cannot compare it with the other.
"""

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
