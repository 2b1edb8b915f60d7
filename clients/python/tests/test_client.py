"""End-to-end tests of the Python client against the real Retort binary.

The binary is ``$RETORT_BIN``, else ``target/debug/retort`` in the repository (three levels
up from this folder). Without it every server test is skipped, saying so. One server on a
free port with a temporary SQLite database serves the whole session and is stopped at the end.

The server starts with an admin key seeded through ``RETORT_ADMIN_KEY`` (made by
``retort keys generate``); the admin makes a ``predictor`` and a ``viewer`` key with
``POST /api/keys``. Models are deployed and aliases moved with the admin key, predictions
made with the predictor key and models read with the viewer key.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pytest

from retort_client import (
    AuthenticationError,
    AuthError,
    PermissionDeniedError,
    Retort,
    RetortError,
    deploy,
    predict,
)
from retort_client.frames import frame_to_rows, predictions_to_frame

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_BIN = REPO_ROOT / "target" / "debug" / "retort"

NUMERIC = ["width_mm", "aspect_ratio", "rim_in", "load_index"]


# ------------------------------------------------------------------ data


def tire_frame(n: int, seed: int) -> pd.DataFrame:
    """A synthetic tire catalogue: four numbers and a tier string."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "width_mm": rng.uniform(155, 335, n),
            "aspect_ratio": rng.uniform(30, 80, n),
            "rim_in": rng.uniform(14, 22, n),
            "load_index": rng.uniform(75, 115, n),
            "tier": rng.choice(["premium", "mid", "economy"], n),
        }
    )


def price(frame: pd.DataFrame, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tier = frame["tier"].map({"premium": 60.0, "mid": 25.0, "economy": 0.0}).to_numpy()
    return (
        0.6 * frame["width_mm"].to_numpy()
        - 0.8 * frame["aspect_ratio"].to_numpy()
        + 9.0 * frame["rim_in"].to_numpy()
        + 0.5 * frame["load_index"].to_numpy()
        + tier
        + rng.normal(0, 5, len(frame))
    )


@pytest.fixture(scope="session")
def train() -> pd.DataFrame:
    return tire_frame(400, seed=1)


@pytest.fixture(scope="session")
def test_frame() -> pd.DataFrame:
    frame = tire_frame(40, seed=2)
    frame.index = pd.Index([f"row-{i}" for i in range(len(frame))], name="sku")
    return frame


@pytest.fixture(scope="session")
def price_pipeline(train: pd.DataFrame):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["tier"]),
        ]
    )
    model = Pipeline([("pre", pre), ("gb", GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=0))])
    return model.fit(train, price(train))


@pytest.fixture(scope="session")
def band_classifier(train: pd.DataFrame):
    from sklearn.ensemble import RandomForestClassifier

    bands = np.digitize(price(train), np.quantile(price(train), [1 / 3, 2 / 3]))
    return RandomForestClassifier(n_estimators=15, max_depth=5, random_state=0).fit(train[NUMERIC], bands)


# ------------------------------------------------------------------ server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def binary() -> Path:
    path = Path(os.environ.get("RETORT_BIN") or DEFAULT_BIN)
    if not path.is_file():
        pytest.skip(f"Retort binary not found at {path}: build it (cargo build) or set RETORT_BIN")
    return path


@pytest.fixture(scope="session")
def admin_key(binary: Path) -> str:
    """A new admin key, seeded into the server through RETORT_ADMIN_KEY."""
    key = subprocess.run([str(binary), "keys", "generate"], check=True, capture_output=True, text=True).stdout.strip()
    assert key.startswith("rtk_"), key
    return key


@pytest.fixture(scope="session")
def server(binary: Path, admin_key: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Retort server for the session; yields its base URL, stops it at the end."""
    tmp = tmp_path_factory.mktemp("retort")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen(
        [str(binary), "serve", "--bind", f"127.0.0.1:{port}", "--database-url", f"sqlite://{tmp}/t.db"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "RETORT_ADMIN_KEY": admin_key},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"retort exited with {proc.returncode}:\n{(tmp / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"retort did not answer /healthz in 60 s:\n{(tmp / 'server.log').read_text()[-3000:]}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def create_key(server: str, admin_key: str, name: str, roles: list) -> str:
    """Makes a key with ``POST /api/keys`` as the admin; returns its secret."""
    request = urllib.request.Request(
        f"{server}/api/keys",
        data=json.dumps({"name": name, "roles": roles}).encode(),
        headers={"Authorization": f"Bearer {admin_key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201
        created = json.loads(answer.read())
    assert created["roles"] == roles and created["secret"].startswith("rtk_")
    return created["secret"]


@pytest.fixture(scope="session")
def predictor_key(server: str, admin_key: str) -> str:
    return create_key(server, admin_key, "client-tests-predictor", ["predictor"])


@pytest.fixture(scope="session")
def viewer_key(server: str, admin_key: str) -> str:
    return create_key(server, admin_key, "client-tests-viewer", ["viewer"])


@pytest.fixture(scope="session")
def client(server: str, admin_key: str) -> Retort:
    """The admin: deploys models and moves aliases."""
    return Retort(server, api_key=admin_key)


@pytest.fixture(scope="session")
def predictor(server: str, predictor_key: str) -> Retort:
    """A key that may only predict."""
    return Retort(server, api_key=predictor_key)


@pytest.fixture(scope="session")
def viewer(server: str, viewer_key: str) -> Retort:
    """A key that may only read."""
    return Retort(server, api_key=viewer_key)


# ------------------------------------------------------------------ tests with the server


def test_pipeline_regressor_matches_sklearn(client: Retort, predictor: Retort, price_pipeline, train, test_frame) -> None:
    out = client.deploy(
        price_pipeline, "price", train.head(20), alias="production",
        description="GB on tires", metrics={"r2": np.float64(0.93), "n": 400},
    )
    assert out["version"] == 1 and out["aliases"] == ["production"]
    assert out["framework"] == "sklearn" and out["description"] == "GB on tires"
    assert out["metrics"] == {"r2": 0.93, "n": 400}
    sig = out["signature"]
    assert sig["task"] == "regression"
    assert {c["name"]: c["dtype"] for c in sig["columns"]} == {
        **{c: "double" for c in NUMERIC}, "tier": "string"}

    got = predictor.predict("price", test_frame)
    assert list(got.columns) == ["prediction"]
    assert got.index.equals(test_frame.index)
    assert got.attrs["retort_version"] == 1
    np.testing.assert_allclose(got["prediction"].to_numpy(), price_pipeline.predict(test_frame), rtol=1e-4)


def test_nan_is_sent_as_null_and_imputed(predictor: Retort, price_pipeline, test_frame) -> None:
    frame = test_frame.copy()
    frame.loc[frame.index[[0, 3, 7]], "load_index"] = np.nan
    frame.loc[frame.index[5], "width_mm"] = None
    assert frame_to_rows(frame.iloc[[0]])[0]["load_index"] is None
    got = predictor.predict("price", frame, alias="production")
    np.testing.assert_allclose(got["prediction"].to_numpy(), price_pipeline.predict(frame), rtol=1e-4)


def test_numeric_classifier_labels_and_probabilities(client: Retort, predictor: Retort, band_classifier, train, test_frame) -> None:
    out = client.deploy(band_classifier, "band", train[NUMERIC].head(10))
    sig = out["signature"]
    assert sig["task"] == "classification"
    assert [c["name"] for c in sig["columns"]] == NUMERIC  # feature_names were sent
    assert {c["input"] for c in sig["columns"]} == {"X"}

    frame = test_frame[NUMERIC]
    got = predictor.predict("band", frame)
    assert list(got.columns) == ["label", "proba_0", "proba_1", "proba_2"]
    assert got.index.equals(frame.index)
    np.testing.assert_array_equal(got["label"].to_numpy(), band_classifier.predict(frame))
    probs = got[["proba_0", "proba_1", "proba_2"]].to_numpy()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(probs, band_classifier.predict_proba(frame), atol=1e-4)


def test_bad_frame_raises_with_every_path(client: Retort, predictor: Retort, price_pipeline, train, test_frame) -> None:
    client.deploy(price_pipeline, "price-bad", train.head(5))
    frame = test_frame.drop(columns=["rim_in"]).head(3)
    with pytest.raises(RetortError) as info:
        predictor.predict("price-bad", frame)
    err = info.value
    assert err.status == 422
    assert err.paths == ["/rows/0/rim_in", "/rows/1/rim_in", "/rows/2/rim_in"]
    assert "/rows/1/rim_in" in str(err) and "422" in str(err)

    wrong = test_frame.head(2).assign(width_mm=["wide", "narrow"])
    with pytest.raises(RetortError) as info:
        predictor.predict("price-bad", wrong)
    assert info.value.paths == ["/rows/0/width_mm", "/rows/1/width_mm"]


def test_aliases_move_and_versions_answer(client: Retort, predictor: Retort, viewer: Retort, train, test_frame) -> None:
    from sklearn.linear_model import LinearRegression

    x = train[NUMERIC]
    first = LinearRegression().fit(x, price(train))
    second = LinearRegression().fit(x, 2 * price(train) + 100)
    v1 = client.deploy(first, "lin", x.head(), alias="production")["version"]
    v2 = client.deploy(second, "lin", x.head(), alias="staging")["version"]
    assert (v1, v2) == (1, 2)
    frame = test_frame[NUMERIC]
    assert viewer.get_model("lin")["aliases"] == {"production": 1, "staging": 2}

    by_default = predictor.predict("lin", frame)
    assert by_default.attrs["retort_version"] == 1  # production wins over latest
    np.testing.assert_allclose(by_default["prediction"], first.predict(frame), rtol=1e-4)
    np.testing.assert_allclose(predictor.predict("lin", frame, alias="staging")["prediction"], second.predict(frame), rtol=1e-4)

    assert client.set_alias("lin", "production", v2)["version"] == 2
    assert viewer.get_model("lin")["aliases"] == {"production": 2, "staging": 2}
    moved = predictor.predict("lin", frame)
    assert moved.attrs["retort_version"] == 2
    np.testing.assert_allclose(moved["prediction"], second.predict(frame), rtol=1e-4)

    pinned = predictor.predict("lin", frame, version=1)
    assert pinned.attrs["retort_version"] == 1
    np.testing.assert_allclose(pinned["prediction"], first.predict(frame), rtol=1e-4)
    assert viewer.get_version("lin", 2)["aliases"] == ["production", "staging"]


def test_raw_onnx_bytes_proto_and_path(client: Retort, band_classifier, train, test_frame, tmp_path: Path) -> None:
    from retort_client.convert import sklearn_to_onnx

    converted = sklearn_to_onnx(band_classifier, train[NUMERIC])
    out = client.deploy(converted.onnx_bytes, "band-raw", None, feature_names=NUMERIC, framework="sklearn")
    assert [c["name"] for c in out["signature"]["columns"]] == NUMERIC
    got = client.predict("band-raw", test_frame[NUMERIC], version=out["version"])
    np.testing.assert_array_equal(got["label"], band_classifier.predict(test_frame[NUMERIC]))

    without = client.deploy(converted.onnx_bytes, "band-raw", None)
    assert [c["name"] for c in without["signature"]["columns"]] == [f"X_{i}" for i in range(4)]

    import onnx

    proto = onnx.load_from_string(converted.onnx_bytes)
    assert client.deploy(proto, "band-raw", None, feature_names=NUMERIC)["version"] == 3
    path = tmp_path / "band.onnx"
    path.write_bytes(converted.onnx_bytes)
    assert client.deploy(path, "band-raw", None, feature_names=NUMERIC, alias="production")["version"] == 4
    again = client.predict("band-raw", test_frame[NUMERIC])
    assert again.attrs["retort_version"] == 4
    np.testing.assert_array_equal(again["label"], got["label"])


def test_awkward_columns_and_hist_gradient_boosting(client: Retort, train, test_frame) -> None:
    """Integer and category columns, a column name with a space, HistGradientBoosting."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    def shape(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(rim_in=frame["rim_in"].round().astype("int64"),
                            tier=frame["tier"].astype("category")).rename(columns={"width_mm": "width mm"})

    x, t = shape(train), shape(test_frame)
    model = Pipeline([
        ("pre", ColumnTransformer([
            ("num", StandardScaler(), ["width mm", "aspect_ratio", "load_index"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["tier", "rim_in"]),
        ])),
        ("hgb", HistGradientBoostingRegressor(max_iter=30, random_state=0)),
    ]).fit(x, price(train))
    out = client.deploy(model, "awkward", x.head())
    assert {c["name"]: c["dtype"] for c in out["signature"]["columns"]} == {
        "width mm": "float", "aspect_ratio": "float", "rim_in": "float", "load_index": "float", "tier": "string"}
    got = client.predict("awkward", t)
    np.testing.assert_allclose(got["prediction"], model.predict(t), rtol=1e-4)


def test_multi_target_regression_and_batches(client: Retort, train, test_frame) -> None:
    from sklearn.linear_model import LinearRegression

    x = train[NUMERIC]
    y = np.column_stack([price(train), -price(train)])
    model = LinearRegression().fit(x, y)
    client.deploy(model, "two", x.head())
    got = client.predict("two", test_frame[NUMERIC], batch_size=7)
    assert list(got.columns) == ["prediction_0", "prediction_1"]
    assert got.index.equals(test_frame.index)
    np.testing.assert_allclose(got.to_numpy(), model.predict(test_frame[NUMERIC]), rtol=1e-4)


def test_module_level_functions(server: str, admin_key: str, predictor_key: str, viewer_key: str,
                                price_pipeline, train, test_frame, monkeypatch: pytest.MonkeyPatch) -> None:
    out = deploy(price_pipeline, "price-fn", train.head(), url=server, alias="production", metrics={"mae": 4.2},
                 api_key=admin_key)
    assert out["aliases"] == ["production"] and out["metrics"] == {"mae": 4.2}
    got = predict("price-fn", test_frame, url=server, api_key=predictor_key)
    np.testing.assert_allclose(got["prediction"], price_pipeline.predict(test_frame), rtol=1e-4)
    monkeypatch.setenv("RETORT_API_KEY", predictor_key)
    got = predict("price-fn", test_frame.head(3), url=server, version=out["version"])
    assert len(got) == 3
    with pytest.raises(PermissionDeniedError):
        deploy(price_pipeline, "price-fn", train.head(), url=server)
    assert "price-fn" in [m["name"] for m in Retort(server, api_key=viewer_key).list_models()]


def test_unknown_model_and_bad_alias(client: Retort, predictor: Retort, test_frame) -> None:
    with pytest.raises(RetortError) as info:
        predictor.predict("no-such-model", test_frame.head(1))
    assert info.value.status == 404
    assert "no-such-model" in str(info.value)
    with pytest.raises(RetortError) as info:
        client.set_alias("lin", "canary", 99)
    assert info.value.status == 422 and info.value.paths == ["/version"]


def test_a_missing_or_refused_key_raises_an_authentication_error(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETORT_API_KEY", raising=False)
    anonymous = Retort(server)
    assert not anonymous.has_api_key
    assert anonymous.health() is True  # the probe needs no key
    with pytest.raises(AuthenticationError) as info:
        anonymous.list_models()
    err = info.value
    assert isinstance(err, AuthError) and isinstance(err, RetortError)
    assert err.status == 401
    assert "Authorization: Bearer" in err.detail  # the server's own explanation
    assert err.detail in str(err) and "No API key was sent" in str(err) and "RETORT_API_KEY" in str(err)

    unknown = Retort(server, api_key="rtk_aaaaaaaaaaaa_" + "a" * 52)
    for call in (unknown.list_models, unknown.whoami, lambda: unknown.predict("price", pd.DataFrame({"x": [1.0]}))):
        with pytest.raises(AuthenticationError) as info:
            call()
        assert info.value.status == 401 and info.value.detail
        assert "The API key was refused" in str(info.value)
    with pytest.raises(AuthenticationError):
        Retort(server, api_key="not-a-key").get_model("price")


def test_a_predictor_key_predicts_but_may_not_deploy_or_read(
    predictor: Retort, client: Retort, band_classifier, train, test_frame
) -> None:
    assert predictor.whoami()["roles"] == ["predictor"]
    client.deploy(band_classifier, "band-roles", train[NUMERIC].head(5), alias="production")
    got = predictor.predict("band-roles", test_frame[NUMERIC])
    np.testing.assert_array_equal(got["label"], band_classifier.predict(test_frame[NUMERIC]))

    with pytest.raises(PermissionDeniedError) as info:
        predictor.deploy(band_classifier, "band-roles", train[NUMERIC].head(5))
    err = info.value
    assert err.status == 403 and isinstance(err, AuthError)
    assert "`models:manage`" in err.detail and "predictor" in err.detail
    assert err.detail in str(err) and "roles do not allow" in str(err)
    with pytest.raises(PermissionDeniedError) as info:
        predictor.set_alias("band-roles", "production", 1)
    assert "`models:manage`" in info.value.detail
    with pytest.raises(PermissionDeniedError) as info:
        predictor.get_model("band-roles")
    assert "`read`" in info.value.detail
    assert client.get_model("band-roles")["latest_version"] == 1  # nothing was deployed


def test_a_viewer_key_reads_but_may_not_predict(viewer: Retort, client: Retort, band_classifier, train, test_frame) -> None:
    client.deploy(band_classifier, "band-viewer", train[NUMERIC].head(5))
    assert viewer.whoami()["permissions"] == ["read"]
    assert viewer.get_version("band-viewer", 1)["signature"]["task"] == "classification"
    with pytest.raises(PermissionDeniedError) as info:
        viewer.predict("band-viewer", test_frame[NUMERIC].head(2))
    assert "`predict`" in info.value.detail


def test_the_key_comes_from_the_environment_unless_given(
    server: str, viewer_key: str, predictor_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETORT_API_KEY", f" {viewer_key}\n")
    assert Retort(server).whoami()["name"] == "client-tests-viewer"
    assert Retort(server, api_key=predictor_key).whoami()["name"] == "client-tests-predictor"
    # api_key wins over an Authorization header given in headers.
    both = Retort(server, api_key=predictor_key, headers={"authorization": "Bearer nothing", "X-Trace": "1"})
    assert both.whoami()["roles"] == ["predictor"]
    assert both.headers == {"X-Trace": "1", "Authorization": f"Bearer {predictor_key}"}
    # The key never shows in a repr.
    assert predictor_key not in repr(both) and viewer_key not in repr(Retort(server))


# ------------------------------------------------------------------ tests without the server


def test_unreachable_server_is_a_retort_error() -> None:
    r = Retort(f"http://127.0.0.1:{free_port()}", timeout=5)
    with pytest.raises(RetortError) as info:
        r.list_models()
    assert info.value.status is None and "cannot reach" in str(info.value)
    assert r.health() is False


def test_frame_to_rows_types() -> None:
    frame = pd.DataFrame(
        {
            "f": [1.5, np.nan],
            "i": pd.array([3, None], dtype="Int64"),
            "b": [True, False],
            "s": ["a", None],
            "c": pd.Categorical(["x", "y"]),
        }
    )
    rows = frame_to_rows(frame)
    assert rows == [
        {"f": 1.5, "i": 3, "b": 1.0, "s": "a", "c": "x"},
        {"f": None, "i": None, "b": 0.0, "s": None, "c": "y"},
    ]
    json.dumps(rows, allow_nan=False)
    with pytest.raises(ValueError, match="infinite"):
        frame_to_rows(pd.DataFrame({"f": [np.inf]}))


def test_predictions_to_frame_shapes() -> None:
    idx = pd.Index([10, 20])
    cls = predictions_to_frame(
        [{"label": "b", "probabilities": {"a": 0.25, "b": 0.75}}, {"label": "a", "probabilities": {"a": 0.5, "b": 0.5}}],
        idx,
    )
    assert list(cls.columns) == ["label", "proba_a", "proba_b"] and list(cls.index) == [10, 20]
    ints = predictions_to_frame([{"label": 10, "probabilities": {"10": 0.5, "2": 0.5}}], pd.Index([0]))
    assert list(ints.columns) == ["label", "proba_2", "proba_10"]
    assert list(predictions_to_frame([1.0, 2.0], idx)["prediction"]) == [1.0, 2.0]


def test_retort_error_str_lists_every_field() -> None:
    err = RetortError.from_response(
        422,
        {"type": "urn:retort:problem:validation", "title": "Validation failed", "status": 422,
         "detail": "2 invalid value(s); see errors",
         "errors": [{"path": "/rows/3/width_mm", "message": "is required (float)"},
                    {"path": "/rows/4/tier", "message": "may not be null"}]},
    )
    text = str(err)
    assert text.splitlines() == [
        "HTTP 422 Validation failed: 2 invalid value(s); see errors",
        "  /rows/3/width_mm: is required (float)",
        "  /rows/4/tier: may not be null",
    ]
    assert err.status == 422 and err.detail.startswith("2 invalid") and len(err.errors) == 2


def test_auth_answers_become_their_own_errors() -> None:
    body = {"type": "urn:retort:problem:forbidden", "title": "Forbidden", "status": 403,
            "detail": "this needs the `models:manage` permission, which the key k (ci) (roles: predictor) does not hold"}
    err = RetortError.from_response(403, body, method="POST", url="http://h/api/models/m/versions")
    assert type(err) is PermissionDeniedError and err.status == 403
    assert str(err).startswith("HTTP 403 Forbidden: this needs the `models:manage` permission")
    err = RetortError.from_response(401, {"status": 401, "title": "Unauthorized", "detail": "unknown key"}, hint="h")
    assert type(err) is AuthenticationError and str(err) == "HTTP 401 Unauthorized: unknown key\nh"
    assert type(RetortError.from_response(404, {"status": 404, "detail": "no"})) is RetortError
    assert type(RetortError.from_response(401, "plain text")) is AuthenticationError


def test_a_key_with_spaces_is_refused_before_any_request() -> None:
    with pytest.raises(ValueError, match="one word"):
        Retort("http://127.0.0.1:1", api_key="rtk_abc def")
    assert Retort("http://127.0.0.1:1", api_key="  ").has_api_key is False
