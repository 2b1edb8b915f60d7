"""The HTTP client: deploy models, predict on DataFrames, manage versions and aliases.

Only the standard library speaks HTTP (``urllib.request``); numpy and pandas shape data.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import uuid

import numpy as np
import pandas as pd

from .errors import RetortError
from .frames import frame_to_rows, predictions_to_frame

#: Where :class:`Retort` connects when no URL is given: ``$RETORT_URL``, else this.
DEFAULT_URL = "http://127.0.0.1:8000"

#: The environment variable read for the API key when :class:`Retort` gets none.
API_KEY_ENV = "RETORT_API_KEY"

#: Rows per predict request; Retort accepts up to 100,000 rows per request.
DEFAULT_BATCH_SIZE = 10_000

#: A fitted scikit-learn estimator or Pipeline, ONNX bytes, an ``onnx.ModelProto``, or a path.
ModelLike = Any


def _json_default(value: Any) -> Any:
    """Lets numpy scalars and arrays (e.g. in metrics) be written as JSON."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default, allow_nan=False, separators=(",", ":"))


def _multipart(fields: Mapping[str, str], file_bytes: bytes) -> "tuple[bytes, str]":
    """A ``multipart/form-data`` body: the text fields, then the ONNX file as ``file``."""
    boundary = f"retort-{uuid.uuid4().hex}"
    parts: List[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode("utf-8")
            + value.encode("utf-8")
            + b"\r\n"
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="model.onnx"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode("utf-8")
        + file_bytes
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode("utf-8"))
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _segment(value: Union[str, int]) -> str:
    return urllib.parse.quote(str(value), safe="")


class Retort:
    """A Retort server.

    >>> r = Retort("http://127.0.0.1:8000", api_key="rtk_…")
    >>> r.deploy(pipeline, "price", train_frame.head(), alias="production")
    >>> r.predict("price", frame)          # a DataFrame, one row per input row

    Every request sends ``Authorization: Bearer <api_key>`` (only :meth:`health` works
    without one); without ``api_key`` the key is ``$RETORT_API_KEY``, and without either no
    key is sent, which only a server started with ``--anonymous ROLE`` accepts. The key's roles decide what
    it may do: ``predictor`` predicts, ``viewer`` reads, ``admin`` also deploys. A refused
    key raises :class:`~retort_client.AuthenticationError` (401) or
    :class:`~retort_client.PermissionDeniedError` (403).

    ``timeout`` (seconds) applies to each HTTP request; ``headers`` are added to every
    request (``api_key`` wins over an ``Authorization`` header given there).
    """

    def __init__(
        self,
        url: Optional[str] = None,
        *,
        api_key: Optional[str] = None,
        timeout: float = 300.0,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.url = (url or os.environ.get("RETORT_URL") or DEFAULT_URL).rstrip("/")
        self.timeout = timeout
        self.headers: Dict[str, str] = dict(headers or {})
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV, "")
        key = key.strip()
        if key:
            if any(c.isspace() for c in key) or not key.isprintable():
                raise ValueError("api_key must be one word without spaces, as `retort keys create` prints it")
            self.headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
            self.headers["Authorization"] = f"Bearer {key}"

    @property
    def has_api_key(self) -> bool:
        """Whether the requests carry an ``Authorization`` header."""
        return any(k.lower() == "authorization" for k in self.headers)

    def __repr__(self) -> str:
        # Never the key: a repr ends up in logs and notebooks.
        return f"Retort({self.url!r})"

    # ---------------------------------------------------------------- HTTP

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Optional[Mapping[str, Optional[str]]] = None,
        body: Optional[bytes] = None,
        content_type: Optional[str] = None,
        json_body: Any = None,
    ) -> Any:
        """Sends one request; returns the parsed JSON answer (``None`` for an empty one)."""
        url = self.url + path
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        headers = {"Accept": "application/json, application/problem+json", **self.headers}
        if json_body is not None:
            body = _dumps(json_body).encode("utf-8")
            content_type = "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raw = err.read() or b""
            try:
                parsed: Any = json.loads(raw)
            except ValueError:
                parsed = raw.decode("utf-8", "replace")
            raise RetortError.from_response(
                err.code, parsed, method=method, url=url, hint=self._auth_hint(err.code)
            ) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise RetortError(None, f"cannot reach Retort at {self.url}: {reason}", method=method, url=url) from err
        return json.loads(raw) if raw else None

    def _auth_hint(self, status: int) -> str:
        """What the client knows about a refused credential, for the error's message."""
        if status == 401 and not self.has_api_key:
            return f"No API key was sent: pass Retort(api_key=...) or set ${API_KEY_ENV}."
        if status == 401:
            return "The API key was refused: check that it is whole, not revoked and not expired."
        if status == 403:
            return "The API key works but its roles do not allow this call; use a key with a role that does."
        return ""

    # ---------------------------------------------------------------- registry

    def health(self) -> bool:
        """Whether the server answers ``GET /healthz``."""
        try:
            self._request("GET", "/healthz")
            return True
        except RetortError:
            return False

    def whoami(self) -> Dict[str, Any]:
        """Who the API key is: ``{name, key_id, roles, permissions, via}``.

        A quick check of a key: raises :class:`~retort_client.AuthenticationError` when
        the server does not accept it.
        """
        return self._request("GET", "/api/session")

    def list_models(self) -> List[Dict[str, Any]]:
        """Every model: ``{name, versions, latest_version, aliases, created_at, updated_at}``."""
        return list(self._request("GET", "/api/models")["items"])

    def get_model(self, name: str) -> Dict[str, Any]:
        """One model: its versions and aliases."""
        return self._request("GET", f"/api/models/{_segment(name)}")

    def get_version(self, name: str, version: int) -> Dict[str, Any]:
        """One version: metadata, metrics, signature (columns, outputs, task), aliases."""
        return self._request("GET", f"/api/models/{_segment(name)}/versions/{int(version)}")

    def set_alias(self, name: str, alias: str, version: int) -> Dict[str, Any]:
        """Points ``alias`` (e.g. ``production``) at ``version``, creating or moving it."""
        return self._request(
            "PUT",
            f"/api/models/{_segment(name)}/aliases/{_segment(alias)}",
            json_body={"version": int(version)},
        )

    # ---------------------------------------------------------------- deploy

    def deploy(
        self,
        model: ModelLike,
        name: str,
        sample_frame: Optional[pd.DataFrame] = None,
        *,
        alias: Optional[str] = None,
        description: str = "",
        metrics: Optional[Mapping[str, Any]] = None,
        feature_names: Optional[Sequence[str]] = None,
        framework: Optional[str] = None,
        target_opset: Union[int, Dict[str, int], None] = None,
        options: Optional[Dict[Any, Any]] = None,
        precision: str = "double",
        check: bool = True,
        check_rows: int = 1000,
        fidelity_tolerance: Optional[float] = None,
        accept_fidelity: bool = False,
    ) -> Dict[str, Any]:
        """Deploys ``model`` as the next version of ``name``; returns the new version.

        ``model`` is a fitted scikit-learn estimator or Pipeline (converted with skl2onnx;
        ``sample_frame`` gives the training columns and their types), or ONNX as bytes,
        an ``onnx.ModelProto`` or a path to a ``.onnx`` file (then ``sample_frame`` may be
        ``None``; pass ``feature_names`` to name the columns of a wide input).

        ``alias`` points an alias at the new version; ``metrics`` is a dict sent as JSON.
        ``target_opset`` and ``options`` are passed to skl2onnx; numbers enter the graph
        as float64 (``precision="double"``, the default) or float32.

        **Fidelity check.** For a scikit-learn model with a ``sample_frame`` (and
        ``check``), the first ``check_rows`` rows go with the file together with
        ``model.predict`` on them; the server predicts them with the new version before
        storing it and refuses it (a :class:`RetortError`, status 422, naming the rows
        that differ and why) when a prediction differs by more than
        ``fidelity_tolerance`` relative (server default 1e-6; labels must be equal),
        unless ``accept_fidelity``. The answer's ``fidelity`` is the report.

        The answer is Retort's version document, including ``version``, ``signature``
        and ``fidelity``.
        """
        onnx_bytes, names, default_framework = self._to_onnx(
            model, sample_frame, target_opset=target_opset, options=options, precision=precision
        )
        if feature_names is not None:
            names = [str(n) for n in feature_names]
        query: Dict[str, Optional[str]] = {
            "description": description or None,
            "framework": framework or default_framework,
            "metrics": _dumps(dict(metrics)) if metrics is not None else None,
            "feature_names": ",".join(names) if names else None,
            "alias": alias,
        }
        sample = None
        if check and default_framework == "sklearn" and sample_frame is not None:
            if check_rows < 1:
                raise ValueError("check_rows must be at least 1")
            rows_frame = sample_frame.head(check_rows)
            expected = np.asarray(model.predict(rows_frame)).tolist()  # type: ignore[union-attr]
            sample = _dumps({"rows": frame_to_rows(rows_frame), "expected": expected})
        if sample is None and fidelity_tolerance is None and not accept_fidelity:
            return self._request(
                "POST",
                f"/api/models/{_segment(name)}/versions",
                query=query,
                body=onnx_bytes,
                content_type="application/octet-stream",
            )
        fields = {k: v for k, v in query.items() if v is not None}
        if sample is not None:
            fields["check_sample"] = sample
        if fidelity_tolerance is not None:
            fields["fidelity_tolerance"] = repr(float(fidelity_tolerance))
        if accept_fidelity:
            fields["accept_fidelity"] = "true"
        body, content_type = _multipart(fields, onnx_bytes)
        return self._request(
            "POST",
            f"/api/models/{_segment(name)}/versions",
            body=body,
            content_type=content_type,
        )

    @staticmethod
    def _to_onnx(
        model: ModelLike,
        sample_frame: Optional[pd.DataFrame],
        *,
        target_opset: Union[int, Dict[str, int], None],
        options: Optional[Dict[Any, Any]],
        precision: str = "double",
    ) -> "tuple[bytes, Optional[List[str]], Optional[str]]":
        if isinstance(model, (bytes, bytearray, memoryview)):
            return bytes(model), None, None
        if isinstance(model, (str, os.PathLike)):
            with open(model, "rb") as f:
                return f.read(), None, None
        if hasattr(model, "SerializeToString") and hasattr(model, "graph"):
            return model.SerializeToString(), None, None
        if not (hasattr(model, "fit") and hasattr(model, "get_params")):
            raise TypeError(
                "deploy takes a fitted scikit-learn estimator or Pipeline, ONNX bytes, an "
                f"onnx.ModelProto or a path to a .onnx file; got {type(model).__name__}"
            )
        from .convert import sklearn_to_onnx

        converted = sklearn_to_onnx(
            model, sample_frame, target_opset=target_opset, options=options, precision=precision  # type: ignore[arg-type]
        )
        return converted.onnx_bytes, converted.feature_names, "sklearn"

    # ---------------------------------------------------------------- predict

    def _predict_path(self, name: str, version: Optional[int], alias: Optional[str]) -> str:
        if version is not None and alias is not None:
            raise ValueError("give version or alias, not both")
        base = f"/api/models/{_segment(name)}"
        if version is not None:
            return f"{base}/versions/{int(version)}/predict"
        if alias is not None:
            return f"{base}/aliases/{_segment(alias)}/predict"
        return f"{base}/predict"

    def predict_rows(
        self,
        name: str,
        rows: List[Mapping[str, Any]],
        *,
        version: Optional[int] = None,
        alias: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Sends rows as they are; returns Retort's answer ``{model, version, predictions}``."""
        return self._request("POST", self._predict_path(name, version, alias), json_body={"rows": list(rows)})

    def predict(
        self,
        name: str,
        frame: pd.DataFrame,
        *,
        version: Optional[int] = None,
        alias: Optional[str] = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> pd.DataFrame:
        """Predicts every row of ``frame``; returns a DataFrame with the same index.

        Without ``version`` or ``alias`` the model's ``production`` alias answers, else its
        latest version. Regressors give a ``prediction`` column (``prediction_0..k`` for
        several targets); classifiers a ``label`` column and one ``proba_<label>`` column
        per class. NaN and None are sent as null. Large frames go in batches of
        ``batch_size`` rows. ``result.attrs["retort_version"]`` is the version that answered.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        rows = frame_to_rows(frame)
        path = self._predict_path(name, version, alias)
        predictions: List[Any] = []
        versions: List[int] = []
        for start in range(0, len(rows), batch_size):
            answer = self._request("POST", path, json_body={"rows": rows[start : start + batch_size]})
            predictions.extend(answer["predictions"])
            if answer.get("version") not in versions:
                versions.append(answer.get("version"))
        result = predictions_to_frame(predictions, frame.index)
        result.attrs["retort_model"] = name
        result.attrs["retort_version"] = versions[0] if len(versions) == 1 else versions or None
        return result
