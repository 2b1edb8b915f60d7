"""Retort client: deploy scikit-learn models to a Retort server and predict on DataFrames.

>>> from retort_client import Retort
>>> r = Retort("http://127.0.0.1:8000")
>>> r.deploy(model, "price", sample_frame, alias="production")
>>> r.predict("price", frame)

HTTP uses only the standard library; numpy and pandas are the runtime dependencies.
Converting scikit-learn objects needs the ``sklearn`` extra (scikit-learn, skl2onnx, onnx).
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

import pandas as pd

from .client import DEFAULT_BATCH_SIZE, DEFAULT_URL, ModelLike, Retort
from .errors import RetortError

__all__ = ["Retort", "RetortError", "deploy", "predict", "DEFAULT_URL", "__version__"]

__version__ = "0.1.0"


def deploy(
    model: ModelLike,
    name: str,
    sample_frame: Optional[pd.DataFrame],
    url: Optional[str] = None,
    alias: Optional[str] = None,
    description: str = "",
    metrics: Optional[Mapping[str, Any]] = None,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Deploys ``model`` as the next version of ``name`` on the server at ``url``.

    ``url`` defaults to ``$RETORT_URL``, else ``http://127.0.0.1:8000``. Further keyword
    arguments (``feature_names``, ``framework``, ``target_opset``, ``options``) go to
    :meth:`Retort.deploy`. Returns the new version's document.
    """
    return Retort(url).deploy(
        model, name, sample_frame, alias=alias, description=description, metrics=metrics, **kwargs
    )


def predict(
    name: str,
    frame: pd.DataFrame,
    url: Optional[str] = None,
    version: Optional[int] = None,
    alias: Optional[str] = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> pd.DataFrame:
    """Predicts every row of ``frame`` with model ``name`` on the server at ``url``.

    See :meth:`Retort.predict` for the columns of the returned DataFrame.
    """
    return Retort(url).predict(name, frame, version=version, alias=alias, batch_size=batch_size)
