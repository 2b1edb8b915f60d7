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
- A negative case is only negative if what goes on the wire is. Query values travel as
  text: a `null` for a string is the text `null`, an object mutation of a repeated
  parameter is sent as the same `name=value` pairs as an array, and a number mutated in
  memory can print as a valid integer. Such a case is dropped before it is sent when every
  query value, read back from the URL the way the server reads it (integers, numbers and
  booleans parsed from their text), satisfies the parameter's schema and no other part of
  the request is negative: it is positive data, which the positive mode already sends.
"""

import os
import re
from urllib.parse import parse_qs, urlsplit

import requests
import schemathesis
from schemathesis.core.parameters import ParameterLocation
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


_INTEGER = re.compile(r"^[+-]?[0-9]+$")


def _from_text(text, schema):
    """A query value's text as the server parses it for `schema`, or the text itself."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "integer" in kinds and _INTEGER.match(text):
        return int(text)
    if "number" in kinds:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if number == number and abs(number) != float("inf") else text
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    return text


def _query_on_the_wire_is_valid(case):
    """Whether the query this case sends, read back from its URL, satisfies the schema."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    for location in (
        ParameterLocation.PATH,
        ParameterLocation.HEADER,
        ParameterLocation.COOKIE,
        ParameterLocation.BODY,
    ):
        if meta.is_negative_at(location):
            return False
    if not meta.is_negative_at(ParameterLocation.QUERY):
        return False
    container = case.operation.get_parameter_set(ParameterLocation.QUERY)
    if not container:
        return False
    properties = container.schema.get("properties", {})
    try:
        kwargs = case.as_transport_kwargs(base_url="http://wire.invalid")
        url = requests.Request("GET", kwargs["url"], params=kwargs.get("params")).prepare().url
    except Exception:
        return False
    sent = parse_qs(urlsplit(url).query, keep_blank_values=True)
    query = {}
    for name, texts in sent.items():
        schema = properties.get(name)
        if not isinstance(schema, dict):
            # An undeclared parameter: the server ignores it.
            continue
        if schema.get("type") == "array":
            items = schema.get("items", {})
            query[name] = [_from_text(t, items if isinstance(items, dict) else {}) for t in texts]
        elif len(texts) == 1:
            query[name] = _from_text(texts[0], schema)
        else:
            # A single-valued parameter sent twice is refused by the server: truly negative.
            return False
    try:
        return container.get_strict_validator().is_valid(query)
    except Exception:
        return False


@schemathesis.hook
def filter_case(context, case):
    if _query_on_the_wire_is_valid(case):
        return False
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
