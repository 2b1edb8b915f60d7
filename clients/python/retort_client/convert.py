"""scikit-learn estimators and Pipelines to ONNX, shaped for Retort's row API.

Needs the ``sklearn`` extra (scikit-learn, skl2onnx, onnx); nothing here is imported
until a scikit-learn object is deployed.

Two layouts, chosen from the sample frame:

- every column numeric (numbers or booleans), and no step picks columns by name: one
  input ``X`` of shape ``[None, n_columns]``; the frame's columns are returned as
  ``feature_names`` so that request rows are keyed by the real column names;
- otherwise (strings or categories present, or a ColumnTransformer that addresses
  columns by name): one ``[None, 1]`` input per column, named like the column, string for
  text and category columns, numbers for numbers; no ``feature_names`` is needed.

Numbers enter as float64 (skl2onnx ``DoubleTensorType``) by default, so scalers,
imputers and linear models compute in double as scikit-learn does and the predictions
equal the library's. skl2onnx cannot export tree ensembles with float64 inputs (it writes
float thresholds into a graph no runtime loads): the trees of a decision tree, random
forest, extra trees or gradient boosting regressor at the end of the model are written
by :mod:`retort_client.double` instead, which also fills missing values with the
imputers' double statistics (skl2onnx's Imputer holds floats). A model with other trees
is exported with float32 inputs, with a warning, and the deploy's fidelity check says
how far its predictions are from the library's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Union

import pandas as pd

#: Opsets the exported graphs target. Retort's engine implements the classic
#: ``ai.onnx.ml`` ensembles (TreeEnsembleRegressor / TreeEnsembleClassifier); pinning the
#: opsets keeps newer converters from emitting operators of later ``ai.onnx.ml`` versions.
DEFAULT_TARGET_OPSET: Dict[str, int] = {"": 15, "ai.onnx.ml": 3}


#: Operators skl2onnx writes for tree ensembles, which it cannot write in double.
TREE_OPERATORS = frozenset({"TreeEnsembleRegressor", "TreeEnsembleClassifier"})


@dataclass
class Converted:
    """An exported model: the ONNX bytes, column names for a single wide input, and the
    precision numbers enter in (``"double"`` or ``"float32"``)."""

    onnx_bytes: bytes
    feature_names: Optional[List[str]]
    precision: str = "double"


def _missing_extra(err: ImportError) -> ImportError:
    return ImportError(
        "deploying a scikit-learn model needs the 'sklearn' extra: "
        "pip install 'retort-client[sklearn]' (scikit-learn, skl2onnx, onnx); "
        f"import failed: {err}"
    )


def is_text_column(s: pd.Series) -> bool:
    """Whether a column becomes a string input (text, categories, objects)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return True
    return not pd.api.types.is_numeric_dtype(s.dtype)


def selects_columns_by_name(model: Any) -> bool:
    """Whether any ColumnTransformer inside ``model`` picks columns by their names."""
    try:
        from sklearn.compose import ColumnTransformer
        from sklearn.pipeline import FeatureUnion, Pipeline
    except ImportError as err:  # pragma: no cover - checked by the caller first
        raise _missing_extra(err) from err

    def by_name(columns: Any) -> bool:
        if isinstance(columns, str):
            return True
        if isinstance(columns, (list, tuple, pd.Index)):
            return any(isinstance(c, str) for c in columns)
        return False

    if isinstance(model, Pipeline):
        return any(selects_columns_by_name(step) for _, step in model.steps)
    if isinstance(model, FeatureUnion):
        return any(selects_columns_by_name(t) for _, t in model.transformer_list)
    if isinstance(model, ColumnTransformer):
        transformers = getattr(model, "transformers_", None) or model.transformers
        return any(
            by_name(cols) or selects_columns_by_name(t)
            for _, t, cols in transformers
            if not isinstance(t, str)
        )
    return False


def sklearn_to_onnx(
    model: Any,
    sample_frame: pd.DataFrame,
    *,
    target_opset: Union[int, Dict[str, int], None] = None,
    options: Optional[Dict[Any, Any]] = None,
    precision: str = "double",
) -> Converted:
    """Exports a fitted scikit-learn estimator or Pipeline for the columns of ``sample_frame``.

    ``target_opset`` defaults to :data:`DEFAULT_TARGET_OPSET`; ``options`` is passed to
    ``skl2onnx.convert_sklearn`` as it is (e.g. ``{id(clf): {"zipmap": False}}``).
    ``precision`` is ``"double"`` (float64 inputs, the default; a model with trees falls
    back to float32 with a warning) or ``"float32"``.
    """
    if precision not in ("double", "float32"):
        raise ValueError(f"precision must be 'double' or 'float32', got {precision!r}")
    try:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType, StringTensorType
    except ImportError as err:
        raise _missing_extra(err) from err
    if not isinstance(sample_frame, pd.DataFrame):
        raise TypeError(
            "a scikit-learn model needs sample_frame: a pandas DataFrame with the columns "
            f"it was trained on, got {type(sample_frame).__name__}"
        )
    if sample_frame.shape[1] == 0:
        raise ValueError("sample_frame has no columns")
    names = [str(c) for c in sample_frame.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"sample_frame has duplicate column names: {names}")
    for name in names:
        s = sample_frame[name]
        if pd.api.types.is_datetime64_any_dtype(s.dtype) or pd.api.types.is_timedelta64_dtype(s.dtype):
            raise TypeError(
                f"column {name!r} holds dates or durations; turn it into numbers or text "
                "before training and deploying"
            )

    text = [n for n in names if is_text_column(sample_frame[n])]
    per_column = bool(text) or selects_columns_by_name(model)
    if not per_column:
        bad = [n for n in names if "," in n]
        if bad:
            raise ValueError(f"column names may not contain ',' (they are sent comma-separated): {bad}")

    def initial_types(number: Any) -> List[Any]:
        if per_column:
            return [(n, StringTensorType([None, 1]) if n in text else number([None, 1])) for n in names]
        return [("X", number([None, len(names)]))]

    def convert(number: Any) -> Any:
        def run() -> Any:
            return convert_sklearn(
                model,
                initial_types=initial_types(number),
                target_opset=DEFAULT_TARGET_OPSET if target_opset is None else target_opset,
                options=options,
            )

        try:
            return run()
        except (TypeError, ValueError) as err:
            if "nodes_missing_value_tracks_true" not in str(err):
                raise
            return _with_int_missing_tracks(run)

    onx = None
    if precision == "double":
        try:
            onx = convert(DoubleTensorType)
        except Exception as err:  # a converter without double support: say so, fall back
            warnings.warn(
                f"skl2onnx cannot export this model with float64 inputs ({err}); exported with "
                "float32 inputs, so its predictions may differ from the library's — the deploy's "
                "fidelity check reports by how much",
                stacklevel=3,
            )
        else:
            from .double import rewrite_imputers, rewrite_in_double

            rewrite_imputers(onx, model)
            trees = sorted({n.op_type for n in onx.graph.node if n.op_type in TREE_OPERATORS})
            if trees and rewrite_in_double(onx, model):
                trees = []
            if trees:
                warnings.warn(
                    f"skl2onnx cannot export tree ensembles ({', '.join(trees)}) with float64 inputs; "
                    "exported with float32 inputs, so numbers are rounded before the first step and "
                    "predictions may differ from the library's — the deploy's fidelity check reports "
                    "by how much",
                    stacklevel=3,
                )
                onx = None
    used = "double" if onx is not None else "float32"
    if onx is None:
        onx = convert(FloatTensorType)
    if per_column:
        _restore_input_names(onx, names)
    return Converted(onx.SerializeToString(), None if per_column else names, used)


def _with_int_missing_tracks(convert: Any) -> Any:
    """Runs ``convert`` with HistGradientBoosting's missing-value flags written as ints.

    Some skl2onnx and scikit-learn versions fill the ``ints`` attribute
    ``nodes_missing_value_tracks_true`` with a mix of numpy integers and Python booleans,
    which protobuf refuses ("Expected an int, got a boolean"). The values mean 0 or 1, so
    they are cast to ``int`` while the converter builds its nodes; nothing else changes.
    """
    import onnx.helper

    original = onnx.helper.make_attribute

    def make_attribute(key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == "nodes_missing_value_tracks_true":
            value = [int(v) for v in value]
        return original(key, value, *args, **kwargs)

    onnx.helper.make_attribute = make_attribute  # make_node looks it up on the module
    try:
        return convert()
    finally:
        onnx.helper.make_attribute = original


def _restore_input_names(model: Any, names: List[str]) -> None:
    """Gives the graph inputs the frame's column names again.

    skl2onnx turns names that are not identifiers (``"width mm"``) into ones that are
    (``"width_mm"``); Retort keys request rows by graph input name, so each input and
    every edge that reads it are renamed back. Inputs come in ``initial_types`` order.
    """
    inputs = list(model.graph.input)
    if len(inputs) != len(names):
        raise ValueError(
            f"the exported graph has {len(inputs)} inputs for {len(names)} columns: "
            f"{[i.name for i in inputs]}"
        )
    renames = {i.name: n for i, n in zip(inputs, names) if i.name != n}
    if not renames:
        return
    taken = {o for node in model.graph.node for o in node.output} | {i.name for i in model.graph.initializer}
    clash = sorted(taken & set(renames.values()))
    if clash:
        raise ValueError(f"columns {clash} clash with names inside the exported graph; rename them")
    for i in inputs:
        i.name = renames.get(i.name, i.name)
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            if name in renames:
                node.input[k] = renames[name]
