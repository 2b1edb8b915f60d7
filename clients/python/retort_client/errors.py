"""The one exception the client raises for anything the server refuses."""

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

    ``str(error)`` gives the status, title and detail, then one line per field error.
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
    ) -> None:
        self.status = status
        self.detail = detail
        self.title = title
        self.type = type
        self.errors: List[Dict[str, Any]] = list(errors or [])
        self.body = body
        self.method = method
        self.url = url
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
        return "\n".join(lines)

    @classmethod
    def from_response(
        cls, status: int, body: Any, *, method: str = "", url: str = ""
    ) -> "RetortError":
        """Builds the error from an HTTP error answer (a problem document, or anything else)."""
        if isinstance(body, dict):
            raw_errors = body.get("errors")
            errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
            return cls(
                int(body.get("status") or status),
                str(body.get("detail") or ""),
                title=str(body.get("title") or ""),
                type=str(body.get("type") or ""),
                errors=errors,
                body=body,
                method=method,
                url=url,
            )
        text = body if isinstance(body, str) else ""
        return cls(status, text.strip()[:500], body=body, method=method, url=url)
