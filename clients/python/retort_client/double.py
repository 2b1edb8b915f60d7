"""Double-precision steps skl2onnx cannot write, rebuilt from the fitted estimators.

**Imputers.** skl2onnx writes a ``SimpleImputer`` as the ``ai.onnx.ml`` ``Imputer``,
whose fill values are floats: a missing value is filled with the statistic rounded to
float32, and a median that falls exactly on a tree's threshold (a median of an even count
is the midpoint of two values, as thresholds are) lands on the other side of it. Each
such node is replaced by ``Where(IsNaN(x), statistics, x)`` with the imputer's own
double statistics.

**Tree ensembles.**
skl2onnx 1.20 writes a ``TreeEnsembleRegressor`` with float thresholds into a float64
graph, which no runtime loads and which would round scikit-learn's double thresholds
anyway. For a model whose trees are its final step — a ``DecisionTreeRegressor``,
``RandomForestRegressor``, ``ExtraTreesRegressor`` or ``GradientBoostingRegressor`` (one
target), alone or at the end of a Pipeline — that node is replaced by what scikit-learn
computes: ``Cast`` to float and back (its trees compare float32 features), then an
``ai.onnx.ml`` opset 5 ``TreeEnsemble`` with the estimator's own double thresholds and
leaf values and a double output (plus the initial prediction for gradient boosting).
Other tree models are left to the float32 fallback.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

def _imputers(model: Any) -> list:
    """Every fitted SimpleImputer inside ``model`` (pipelines, column transformers, unions)."""
    found, stack, seen = [], [model], set()
    while stack:
        m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        if type(m).__name__ == "SimpleImputer" and hasattr(m, "statistics_"):
            found.append(m)
        for attr in ("steps", "transformer_list", "transformers_"):
            for item in getattr(m, attr, None) or []:
                stack.extend(x for x in item if hasattr(x, "get_params"))
    return found


def rewrite_imputers(onx: Any, model: Any) -> int:
    """Replaces each ``Imputer`` node of missing-value (NaN) filling whose float fill values
    are a SimpleImputer's statistics rounded to float32 by ``Where(IsNaN(x), statistics,
    x)`` in double; how many it replaced."""
    from onnx import helper, numpy_helper

    imputers = _imputers(model)
    done = 0
    for node in [n for n in onx.graph.node if n.op_type == "Imputer"]:
        attrs = {a.name: a for a in node.attribute}
        fill = np.array(attrs["imputed_value_floats"].floats if "imputed_value_floats" in attrs else [], dtype=np.float32)
        replaced = attrs["replaced_value_float"].f if "replaced_value_float" in attrs else float("nan")
        if fill.size == 0 or not np.isnan(replaced):
            continue
        match = [
            imp.statistics_.astype(np.float64)
            for imp in imputers
            if imp.statistics_.shape == fill.shape and np.array_equal(imp.statistics_.astype(np.float32), fill)
        ]
        if not match:
            continue
        prefix = f"retort_double_imputer_{done}"
        onx.graph.initializer.append(numpy_helper.from_array(match[0], f"{prefix}_fill"))
        position = list(onx.graph.node).index(node)
        source, target = node.input[0], node.output[0]
        onx.graph.node.remove(node)
        onx.graph.node.insert(position, helper.make_node("IsNaN", [source], [f"{prefix}_missing"], name=f"{prefix}_isnan"))
        onx.graph.node.insert(
            position + 1,
            helper.make_node("Where", [f"{prefix}_missing", f"{prefix}_fill", source], [target], name=f"{prefix}_where"),
        )
        done += 1
    return done


SUPPORTED = ("DecisionTreeRegressor", "RandomForestRegressor", "ExtraTreesRegressor", "GradientBoostingRegressor")


def final_estimator(model: Any) -> Any:
    """The last step of a Pipeline (recursively), or the model itself."""
    steps = getattr(model, "steps", None)
    if steps:
        return final_estimator(steps[-1][1])
    return model


def _trees(est: Any) -> "Optional[tuple[list, float, float]]":
    """``(tree_ objects, weight per leaf value, base value)`` of a supported regressor."""
    name = type(est).__name__
    if name not in SUPPORTED or getattr(est, "n_outputs_", 1) != 1:
        return None
    if name == "DecisionTreeRegressor":
        return [est.tree_], 1.0, 0.0
    if name in ("RandomForestRegressor", "ExtraTreesRegressor"):
        return [t.tree_ for t in est.estimators_], 1.0 / len(est.estimators_), 0.0
    init = getattr(est, "init_", None)
    if init == "zero":
        base = 0.0
    elif hasattr(init, "constant_"):
        base = float(np.ravel(init.constant_)[0])
    else:
        return None  # an initial estimator other than the default: not rewritten
    return [t.tree_ for t in est.estimators_[:, 0]], float(est.learning_rate), base


def _attributes(trees: list, scale: float) -> dict:
    from onnx import numpy_helper

    features, splits, trues, falses, true_leafs, false_leafs, roots, weights = [], [], [], [], [], [], [], []
    for tree in trees:
        left, right = tree.children_left, tree.children_right
        if left[0] == -1:
            return {}  # a tree of one leaf has no branch to root it
        branch, leaf = {}, {}
        for i in range(tree.node_count):
            if left[i] == -1:
                leaf[i] = len(weights) + len(leaf)
            else:
                branch[i] = len(features) + len(branch)
        for i in sorted(leaf, key=leaf.get):
            weights.append(float(tree.value[i].ravel()[0]) * scale)
        roots.append(branch[0])
        for i in sorted(branch, key=branch.get):
            features.append(int(tree.feature[i]))
            splits.append(float(tree.threshold[i]))
            for child, ids, leafs in ((left[i], trues, true_leafs), (right[i], falses, false_leafs)):
                ids.append(leaf[child] if child in leaf else branch[child])
                leafs.append(1 if child in leaf else 0)
    return {
        "nodes_featureids": features,
        "nodes_splits": numpy_helper.from_array(np.array(splits, dtype=np.float64), "splits"),
        "nodes_modes": numpy_helper.from_array(np.zeros(len(features), dtype=np.uint8), "modes"),
        "nodes_truenodeids": trues,
        "nodes_falsenodeids": falses,
        "nodes_trueleafs": true_leafs,
        "nodes_falseleafs": false_leafs,
        "nodes_missing_value_tracks_true": [0] * len(features),
        "tree_roots": roots,
        "leaf_targetids": [0] * len(weights),
        "leaf_weights": numpy_helper.from_array(np.array(weights, dtype=np.float64), "weights"),
        "n_targets": 1,
        "aggregate_function": 1,
        "post_transform": 0,
    }


def rewrite_in_double(onx: Any, model: Any) -> bool:
    """Replaces the graph's one ``TreeEnsembleRegressor`` by the double-precision trees of
    ``model``'s final estimator; whether it did (else the graph is left unchanged)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes = [n for n in onx.graph.node if n.op_type in ("TreeEnsembleRegressor", "TreeEnsembleClassifier")]
    if len(nodes) != 1 or nodes[0].op_type != "TreeEnsembleRegressor":
        return False
    found = _trees(final_estimator(model))
    if found is None:
        return False
    trees, scale, base = found
    attrs = _attributes(trees, scale)
    if not attrs:
        return False
    old = nodes[0]
    source, target = old.input[0], old.output[0]
    prefix = "retort_double_trees"
    replacement = [
        helper.make_node("Cast", [source], [f"{prefix}_float"], to=TensorProto.FLOAT, name=f"{prefix}_cast_float"),
        helper.make_node("Cast", [f"{prefix}_float"], [f"{prefix}_features"], to=TensorProto.DOUBLE,
                         name=f"{prefix}_cast_double"),
        helper.make_node("TreeEnsemble", [f"{prefix}_features"], [f"{prefix}_sum" if base else target],
                         domain="ai.onnx.ml", name=f"{prefix}_ensemble", **attrs),
    ]
    if base:
        onx.graph.initializer.append(numpy_helper.from_array(np.array([base], dtype=np.float64), f"{prefix}_base"))
        replacement.append(helper.make_node("Add", [f"{prefix}_sum", f"{prefix}_base"], [target], name=f"{prefix}_add"))
    position = list(onx.graph.node).index(old)
    onx.graph.node.remove(old)
    for k, node in enumerate(replacement):
        onx.graph.node.insert(position + k, node)
    for opset in onx.opset_import:
        if opset.domain == "ai.onnx.ml":
            opset.version = max(opset.version, 5)
    if onx.ir_version < 10:
        onx.ir_version = 10
    return True
