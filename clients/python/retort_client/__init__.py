"""Retort client: deploy scikit-learn models to a Retort server and predict on DataFrames.

>>> from retort_client import Retort
>>> r = Retort("http://127.0.0.1:8000", api_key="rtk_…")   # else $RETORT_API_KEY
>>> r.deploy(model, "price", sample_frame, alias="production")
>>> r.predict("price", frame)

HTTP uses only the standard library; numpy and pandas are the runtime dependencies.
Converting scikit-learn objects needs the ``sklearn`` extra (scikit-learn, skl2onnx, onnx).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import pandas as pd

from .client import API_KEY_ENV, DEFAULT_BATCH_SIZE, DEFAULT_URL, ModelLike, Retort
from .errors import AuthenticationError, AuthError, PermissionDeniedError, RetortError

__all__ = [
    "Retort",
    "RetortError",
    "AuthError",
    "AuthenticationError",
    "PermissionDeniedError",
    "deploy",
    "predict",
    "DEFAULT_URL",
    "API_KEY_ENV",
    "__version__",
]

__version__ = "0.1.0"


def deploy(
    model: ModelLike,
    name: str,
    sample_frame: Optional[pd.DataFrame],
    url: Optional[str] = None,
    alias: Optional[str] = None,
    description: str = "",
    metrics: Optional[Mapping[str, Any]] = None,
    api_key: Optional[str] = None,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Deploys ``model`` as the next version of ``name`` on the server at ``url``.

    ``url`` defaults to ``$RETORT_URL``, else ``http://127.0.0.1:8000``; ``api_key`` to
    ``$RETORT_API_KEY`` (deploying needs a key with the ``admin`` role). Further keyword
    arguments (``feature_names``, ``framework``, ``target_opset``, ``options``) go to
    :meth:`Retort.deploy`. Returns the new version's document.
    """
    return Retort(url, api_key=api_key).deploy(
        model, name, sample_frame, alias=alias, description=description, metrics=metrics, **kwargs
    )


def predict(
    name: str,
    frame: pd.DataFrame,
    url: Optional[str] = None,
    version: Optional[int] = None,
    alias: Optional[str] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    api_key: Optional[str] = None,
) -> pd.DataFrame:
    """Predicts every row of ``frame`` with model ``name`` on the server at ``url``.

    ``api_key`` defaults to ``$RETORT_API_KEY`` (a ``predictor`` key suffices). See
    :meth:`Retort.predict` for the columns of the returned DataFrame.
    """
    return Retort(url, api_key=api_key).predict(name, frame, version=version, alias=alias, batch_size=batch_size)
