"""Predictions equal the training library's: double-precision exports and the fidelity
check at deploy, on real data that ships with scikit-learn (the diabetes and breast
cancer sets), against the real Retort binary (the server fixtures of test_client.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retort_client import Retort, RetortError

from test_client import (  # noqa: F401  (session fixtures)
    admin_key,
    binary,
    client,
    predictor,
    predictor_key,
    server,
)


def relative(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.abs(a), np.abs(b))
    return np.where(scale == 0, 0.0, np.abs(a - b) / np.where(scale == 0, 1, scale))


@pytest.fixture(scope="module")
def diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True, as_frame=True)
    X = X.copy()
    X.iloc[::13, 2] = np.nan  # some missing values for the imputer
    return X.iloc[:330], y.iloc[:330], X.iloc[330:]


def test_a_double_pipeline_on_real_data_predicts_what_scikit_learn_predicts(client: Retort, predictor: Retort, diabetes) -> None:
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    train, y, test = diabetes
    pipe = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler()), ("fit", Ridge(alpha=0.3))]).fit(train, y)
    out = client.deploy(pipe, "diabetes", train, alias="production")
    assert {c["dtype"] for c in out["signature"]["columns"]} == {"double"}, out["signature"]
    fidelity = out["fidelity"]
    assert fidelity["passed"] and fidelity["rows"] == len(train), fidelity
    assert fidelity["max_rel_diff"] <= 1e-6, fidelity
    got = predictor.predict("diabetes", test)["prediction"].to_numpy()
    worst = relative(got, pipe.predict(test)).max()
    assert worst <= 1e-6, f"largest relative difference {worst:e}"


def test_a_double_classifier_on_real_data_gives_the_library_labels(client: Retort, predictor: Retort) -> None:
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    train, test = X.iloc[:400], X.iloc[400:]
    pipe = Pipeline([("scale", StandardScaler()), ("fit", LogisticRegression(max_iter=2000))]).fit(train, y.iloc[:400])
    out = client.deploy(pipe, "cancer", train)
    assert out["fidelity"]["passed"] and out["fidelity"]["label_agreement"] == 1.0, out["fidelity"]
    got = predictor.predict("cancer", test, version=out["version"])
    assert (got["label"].to_numpy() == pipe.predict(test)).all()
    proba = got[[f"proba_{c}" for c in pipe.classes_]].to_numpy()
    assert np.abs(proba - pipe.predict_proba(test)).max() <= 1e-6


def fine_grained(n: int = 600) -> "tuple[pd.DataFrame, np.ndarray]":
    """A column of large numbers 0.01 apart (float32 holds them 0.0625 apart) that a
    tree splits finely: rounding the inputs to float32 moves rows across splits."""
    serial = 1_000_000.0 + np.arange(n) * 0.01
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"serial": serial, "noise": rng.normal(size=n)})
    target = 10.0 * np.sin(np.arange(n) / 3.0) + frame["noise"].to_numpy()
    return frame, target


def test_a_float32_export_of_a_scaler_before_trees_is_refused_with_the_report(client: Retort) -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    frame, target = fine_grained()
    pipe = Pipeline([("scale", StandardScaler()), ("tree", DecisionTreeRegressor(max_depth=8, random_state=0))])
    pipe.fit(frame, target)
    with pytest.raises(RetortError) as refused:
        client.deploy(pipe, "serials", frame, precision="float32")
    err = refused.value
    assert err.status == 422, err
    text = str(err)
    assert "/check_sample" in text and "rows" in text, text
    assert "tensor(float)" in text and "DoubleTensorType" in text, text
    with pytest.raises(RetortError):
        client.get_model("serials")  # nothing was stored
    # Accepting stores the version with its report.
    out = client.deploy(pipe, "serials", frame, precision="float32", accept_fidelity=True)
    fidelity = out["fidelity"]
    assert not fidelity["passed"] and fidelity["accepted"] and fidelity["differing"] > 0, fidelity
    assert fidelity["note"] and "float32" in fidelity["note"], fidelity
    # The default export writes the trees in double, casting to float32 exactly where
    # scikit-learn does: every row agrees.
    out = client.deploy(pipe, "serials", frame)
    assert out["fidelity"]["passed"] and out["fidelity"]["max_rel_diff"] <= 1e-9, out["fidelity"]
    # A tolerance the caller chooses is the one applied (a sign flip is a relative
    # difference above 1: no tolerance lets these rows through).
    out = client.deploy(pipe, "serials", frame, precision="float32", fidelity_tolerance=0.5, accept_fidelity=True)
    assert out["fidelity"]["tolerance"] == 0.5 and out["fidelity"]["max_rel_diff"] > 1.0, out["fidelity"]


@pytest.mark.parametrize("kind", ["forest", "boosting"])
def test_tree_pipelines_on_real_data_predict_what_scikit_learn_predicts(client: Retort, predictor: Retort, diabetes, kind: str) -> None:
    from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    train, y, test = diabetes
    trees = (
        RandomForestRegressor(n_estimators=50, random_state=0, n_jobs=1)
        if kind == "forest"
        else GradientBoostingRegressor(n_estimators=150, random_state=0)
    )
    pipe = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler()), ("trees", trees)]).fit(train, y)
    out = client.deploy(pipe, f"diabetes-{kind}", train)
    assert out["fidelity"]["passed"], out["fidelity"]
    got = predictor.predict(f"diabetes-{kind}", test)["prediction"].to_numpy()
    worst = relative(got, pipe.predict(test)).max()
    assert worst <= 1e-6, f"{kind}: largest relative difference {worst:e}"


def test_trees_the_client_cannot_write_in_double_fall_back_with_a_warning(client: Retort, diabetes) -> None:
    from sklearn.ensemble import HistGradientBoostingRegressor

    train, y, _ = diabetes
    model = HistGradientBoostingRegressor(max_iter=20, random_state=0).fit(train, y)
    with pytest.warns(UserWarning, match="tree ensembles"):
        out = client.deploy(model, "diabetes-hist", train, accept_fidelity=True)
    assert {c["dtype"] for c in out["signature"]["columns"]} == {"float"}
    assert out["fidelity"]["rows"] == len(train)


def test_the_check_can_be_left_out(client: Retort, diabetes) -> None:
    from sklearn.linear_model import LinearRegression

    train, y, _ = diabetes
    model = LinearRegression().fit(train.fillna(0.0), y)
    out = client.deploy(model, "unchecked", train.fillna(0.0), check=False)
    assert out["fidelity"] is None
    with pytest.raises(ValueError):
        client.deploy(model, "unchecked", train.fillna(0.0), precision="half")
