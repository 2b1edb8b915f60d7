"""The exceptions the client raises for anything the server refuses.

Every one is a :class:`RetortError`; a refused credential is one of its subclasses,
:class:`AuthenticationError` (401) or :class:`PermissionDeniedError` (403), both
:class:`AuthError`.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class RetortError(Exception):
    """A request Retort refused, or a server that could not be reached.

    Retort answers every error with ``application/problem+json``; its fields are kept here:

    - ``status``: the HTTP status (``None`` when the server could not be reached),
    - ``title``, ``detail``, ``type``: the problem's summary, explanation and URI,
    - ``errors``: for validation failures (422), every bad field as
      ``{"path": "/rows/3/width_mm", "message": "..."}``,
    - ``body``: the whole parsed answer (or its text when it was not JSON).

    - ``hint``: what the client adds about the cause, when it knows (e.g. that no API key
      was sent), else ``""``.

    ``str(error)`` gives the status, title and detail, then one line per field error, then
    the hint.
    """

    def __init__(
        self,
        status: Optional[int],
        detail: str,
        *,
        title: str = "",
        type: str = "",
        errors: Optional[List[Dict[str, Any]]] = None,
        body: Any = None,
        method: str = "",
        url: str = "",
        hint: str = "",
    ) -> None:
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type
        self.errors: List[Dict[str, Any]] = list(errors or [])
        self.body = body
        self.method = method
        self.url = url
        self.hint = hint
        super().__init__(self._message())

    @property
    def paths(self) -> List[str]:
        """The JSON pointer of every field error, e.g. ``["/rows/3/width_mm"]``."""
        return [str(e.get("path", "")) for e in self.errors]

    def _message(self) -> str:
        head = f"HTTP {self.status}" if self.status is not None else "no answer"
        if self.title:
            head += f" {self.title}"
        if self.detail:
            head += f": {self.detail}"
        if self.method and self.url:
            head += f" ({self.method} {self.url})"
        lines = [head]
        for e in self.errors:
            lines.append(f"  {e.get('path', '') or '(body)'}: {e.get('message', '')}")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)

    @classmethod
    def from_response(
        cls, status: int, body: Any, *, method: str = "", url: str = "", hint: str = ""
    ) -> "RetortError":
        """Builds the error from an HTTP error answer (a problem document, or anything else).

        A 401 gives an :class:`AuthenticationError`, a 403 a :class:`PermissionDeniedError`
        (the HTTP status decides, whatever the body says).
        """
        kind = _KINDS.get(status, cls) if cls is RetortError else cls
        if isinstance(body, dict):
            raw_errors = body.get("errors")
            errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
            return kind(
                int(body.get("status") or status),
                str(body.get("detail") or ""),
                title=str(body.get("title") or ""),
                type=str(body.get("type") or ""),
                errors=errors,
                body=body,
                method=method,
                url=url,
                hint=hint,
            )
        text = body if isinstance(body, str) else ""
        return kind(status, text.strip()[:500], body=body, method=method, url=url, hint=hint)


class AuthError(RetortError):
    """The server refused the request's credential: see :class:`AuthenticationError` and
    :class:`PermissionDeniedError`. ``detail`` is the server's explanation."""


class AuthenticationError(AuthError):
    """401: no API key was sent, or the key is unknown, revoked or expired.

    Pass ``api_key=`` to :class:`~retort_client.Retort` or set ``RETORT_API_KEY``; an admin
    makes keys with ``retort keys create`` or ``POST /api/keys``.
    """


class PermissionDeniedError(AuthError):
    """403: the key is valid but none of its roles grants what the call needs; ``detail``
    names the permission (e.g. ``models:manage``) and the key's roles."""


_KINDS = {401: AuthenticationError, 403: PermissionDeniedError}
