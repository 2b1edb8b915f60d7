"""pandas DataFrames to request rows, and predictions back to DataFrames."""

from __future__ import annotations

import math
from typing import Any, Dict, List, Sequence

import numpy as np
import pandas as pd


def _is_number_column(s: pd.Series) -> bool:
    """Numbers and booleans travel as JSON numbers; everything else as strings."""
    return pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)


def column_values(name: str, s: pd.Series) -> List[Any]:
    """One column as JSON-ready Python values: NaN / None / NA become ``None``.

    Numbers stay numbers (booleans become 0 and 1, as scikit-learn sees them); every other
    column (strings, categories, objects) is sent as text.
    """
    missing = s.isna().to_numpy()
    if pd.api.types.is_integer_dtype(s.dtype):
        return [None if m else int(v) for v, m in zip(s.astype("object").tolist(), missing)]
    if not _is_number_column(s):
        return [None if m else (v if isinstance(v, str) else str(v)) for v, m in zip(s.tolist(), missing)]
    values = s.to_numpy(dtype="float64", na_value=np.nan).tolist()
    out: List[Any] = []
    for v, m in zip(values, missing):
        if m:
            out.append(None)
        elif math.isinf(v):
            raise ValueError(f"column {name!r} holds an infinite value, which JSON cannot carry")
        else:
            out.append(v)
    return out


def frame_to_rows(frame: pd.DataFrame) -> List[Dict[str, Any]]:
    """``[{column: value, ...}, ...]``, one object per row, missing values as ``None``."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"the frame has duplicate column names: {names}")
    columns = [column_values(n, frame.iloc[:, i]) for i, n in enumerate(names)]
    return [dict(zip(names, cells)) for cells in zip(*columns)] if columns else [{} for _ in range(len(frame))]


def _label_order(keys: Sequence[str]) -> List[str]:
    """Class labels in a stable order: numerically when they are all integers."""
    try:
        return sorted(keys, key=lambda k: int(k))
    except (TypeError, ValueError):
        return list(keys)


def predictions_to_frame(predictions: List[Any], index: pd.Index) -> pd.DataFrame:
    """Turns Retort's predictions into a DataFrame indexed like the input rows.

    - regressors: a ``prediction`` column, or ``prediction_0..k`` for several targets;
    - classifiers: a ``label`` column and one ``proba_<label>`` column per class;
    - any other model: one column per graph output.
    """
    if len(predictions) != len(index):
        raise ValueError(f"{len(predictions)} predictions for {len(index)} rows")
    if not predictions:
        return pd.DataFrame(index=index)
    first = predictions[0]
    if isinstance(first, dict) and "label" in first and "probabilities" in first:
        keys: List[str] = []
        for p in predictions:
            for k in p["probabilities"]:
                if k not in keys:
                    keys.append(k)
        data: Dict[str, Any] = {"label": [p["label"] for p in predictions]}
        for k in _label_order(keys):
            data[f"proba_{k}"] = np.array(
                [p["probabilities"].get(k, np.nan) for p in predictions], dtype="float64"
            )
        return pd.DataFrame(data, index=index)
    if isinstance(first, list):
        matrix = np.array(
            [[np.nan if v is None else v for v in p] for p in predictions], dtype="float64"
        )
        cols = [f"prediction_{i}" for i in range(matrix.shape[1])]
        return pd.DataFrame(matrix, index=index, columns=cols)
    if isinstance(first, dict):
        return pd.DataFrame(predictions, index=index)
    values = np.array([np.nan if v is None else v for v in predictions], dtype="float64")
    return pd.DataFrame({"prediction": values}, index=index)
