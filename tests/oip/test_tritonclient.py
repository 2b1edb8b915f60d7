"""The Open Inference Protocol v2 endpoints, driven by the real Triton HTTP client
(tritonclient[http]) with its default settings: binary tensor data on.

Runs the `retort` binary (RETORT_BIN, default target/debug/retort) on a free port with a
fresh SQLite database, deploys fixtures from fixtures/models with `retort models deploy`,
and checks every answer against what onnxruntime computed when the fixtures were made.

Every call but the health probes carries `Authorization: Bearer <key>`: the server starts
with an admin key seeded through RETORT_ADMIN_KEY (made by `retort keys generate`), and
`retort keys create` makes the keys the calls use, as a deployment would: a `predictor`
key for inference (it may do nothing else) and a `viewer` key for the metadata.
"""

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "models"
BIN = Path(os.environ.get("RETORT_BIN", ROOT / "target" / "debug" / "retort"))
DEPLOYED = {
    "price": ["pipeline_regressor"],
    "rf": ["random_forest_classifier_nozipmap", "random_forest_classifier"],
    "labels": ["random_forest_classifier_string_labels"],
}


def spec(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def retort(*args):
    """Runs a `retort` subcommand and returns its standard output, stripped."""
    done = subprocess.run([str(BIN), *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"retort {' '.join(args[:2])} exited with {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout.strip()


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def keys(server):
    return server["keys"]


# tritonclient writes its own headers (Content-Encoding, Inference-Header-Content-Length)
# into the dict it is given, so these fixtures make a new one for every call.
@pytest.fixture(scope="session")
def predictor(keys):
    """Headers of a key holding only the `predictor` role."""
    return lambda: bearer(keys["predictor"])


@pytest.fixture(scope="session")
def viewer(keys):
    """Headers of a key holding only the `viewer` role."""
    return lambda: bearer(keys["viewer"])


@pytest.fixture(scope="session")
def server():
    if not BIN.exists():
        pytest.fail(f"the retort binary is missing at {BIN}; build it with cargo build -p retort")
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite://{tmp.name}/oip.db"
    keys = {"admin": retort("keys", "generate")}
    for role in ("predictor", "viewer"):
        keys[role] = retort("keys", "create", "--name", f"oip-{role}", "--role", role, "--database-url", url)
    for key in keys.values():
        assert key.startswith("rtk_"), key
    for model, fixtures in DEPLOYED.items():
        for fixture in fixtures:
            subprocess.run(
                [str(BIN), "models", "deploy", str(FIXTURES / f"{fixture}.onnx"), "--name", model, "--database-url", url],
                check=True,
                capture_output=True,
            )
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN), "serve", "--bind", f"127.0.0.1:{port}", "--database-url", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RETORT_ADMIN_KEY": keys["admin"]},
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("the server did not start")
    yield {"address": f"127.0.0.1:{port}", "keys": keys}
    proc.terminate()
    proc.wait(timeout=10)
    tmp.cleanup()


@pytest.fixture
def client(server):
    return httpclient.InferenceServerClient(url=server["address"])


def inputs_for(name, binary=True):
    s = spec(name)
    out = []
    for input_name, t in s["inputs"].items():
        if t["dtype"] == "string":
            arr = np.array(t["data"], dtype=object).reshape(t["shape"])
            inp = httpclient.InferInput(input_name, t["shape"], "BYTES")
        else:
            arr = np.array([np.nan if v is None else v for v in t["data"]], dtype=np.float32).reshape(t["shape"])
            inp = httpclient.InferInput(input_name, t["shape"], "FP32")
        inp.set_data_from_numpy(arr, binary_data=binary)
        out.append(inp)
    return out


def assert_close(got, want):
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(want, dtype=np.float64).ravel()
    assert got.shape == want.shape
    assert np.all(np.abs(got - want) <= 1e-5 * np.maximum(np.abs(got), np.abs(want)) + 1e-6), (got, want)


def test_server_is_live_and_ready_and_describes_itself(client, viewer):
    assert client.is_server_live()
    assert client.is_server_ready()
    meta = client.get_server_metadata(headers=viewer())
    assert meta["name"] == "retort"
    assert "binary_tensor_data" in meta["extensions"]


def test_model_metadata_lists_the_graph_inputs_and_outputs(client, viewer):
    assert client.is_model_ready("price", headers=viewer())
    assert client.is_model_ready("rf", model_version="1", headers=viewer())
    meta = client.get_model_metadata("price", headers=viewer())
    assert meta["platform"] == "onnx"
    assert [i["name"] for i in meta["inputs"]] == list(spec("pipeline_regressor")["inputs"])
    assert {i["datatype"] for i in meta["inputs"]} == {"FP32", "BYTES"}
    assert meta["outputs"][0]["name"] == "variable"


def test_infer_with_default_settings_uses_binary_data_and_matches_onnxruntime(client, predictor):
    result = client.infer("price", inputs_for("pipeline_regressor"), headers=predictor())
    assert_close(result.as_numpy("variable"), spec("pipeline_regressor")["outputs"]["variable"]["data"])
    assert result.get_response()["model_version"] == "1"


def test_infer_with_json_tensors_matches_onnxruntime(client, predictor):
    outputs = [httpclient.InferRequestedOutput("label", binary_data=False),
               httpclient.InferRequestedOutput("probabilities", binary_data=False)]
    result = client.infer("rf", inputs_for("random_forest_classifier_nozipmap", binary=False), model_version="1",
                          outputs=outputs, headers=predictor())
    want = spec("random_forest_classifier_nozipmap")["outputs"]
    assert result.as_numpy("label").tolist() == want["label"]["data"]
    assert_close(result.as_numpy("probabilities"), want["probabilities"]["data"])


def test_a_zipmap_output_is_served_as_its_probability_matrix(client, predictor):
    result = client.infer("rf", inputs_for("random_forest_classifier"), model_version="2", headers=predictor())
    probs = result.as_numpy("output_probability")
    want = spec("random_forest_classifier")["outputs"]["output_probability"]["data"]
    assert probs.shape == (len(want), 2)
    assert_close(probs, [[row["0"], row["1"]] for row in want])


def test_string_labels_come_back_as_bytes(client, predictor):
    result = client.infer("labels", inputs_for("random_forest_classifier_string_labels"), headers=predictor())
    labels = [x.decode() for x in result.as_numpy("output_label").ravel()]
    assert labels == spec("random_forest_classifier_string_labels")["library"]["predict"]


def test_compressed_requests_and_responses(client, predictor):
    for algorithm in ("gzip", "deflate"):
        result = client.infer("price", inputs_for("pipeline_regressor"), headers=predictor(),
                              request_compression_algorithm=algorithm, response_compression_algorithm="gzip")
        assert_close(result.as_numpy("variable"), spec("pipeline_regressor")["outputs"]["variable"]["data"])


def test_errors_are_reported_as_the_protocol_says(client, predictor, viewer):
    bad = httpclient.InferInput("not_an_input", [1, 1], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 1), dtype=np.float32))
    with pytest.raises(InferenceServerException) as err:
        client.infer("price", [bad], headers=predictor())
    assert err.value.status() == "400"
    assert "not_an_input" in str(err.value)
    with pytest.raises(InferenceServerException):
        client.infer("no_such_model", inputs_for("pipeline_regressor"), headers=predictor())
    assert not client.is_model_ready("no_such_model", headers=viewer())
    wrong_type = inputs_for("pipeline_regressor")
    wrong_type[0] = httpclient.InferInput("width_mm", [20, 1], "INT64")
    wrong_type[0].set_data_from_numpy(np.zeros((20, 1), dtype=np.int64))
    with pytest.raises(InferenceServerException) as err:
        client.infer("price", wrong_type, headers=predictor())
    assert "FP32" in str(err.value)


def test_inference_needs_a_key(server, client, keys):
    for headers in ({}, bearer("rtk_aaaaaaaaaaaa_" + "a" * 52), {"Authorization": f"Basic {keys['predictor']}"}):
        with pytest.raises(InferenceServerException) as err:
            client.infer("price", inputs_for("pipeline_regressor"), headers=headers)
        assert err.value.status() == "401", (headers, str(err.value))
    # The probes stay public: an orchestrator checks them without a key.
    for path in ("/v2/health/live", "/v2/health/ready"):
        with urllib.request.urlopen(f"http://{server['address']}{path}", timeout=5) as answer:
            assert answer.status == 200, path
    assert client.is_server_live() and client.is_server_ready()


def test_a_predictor_key_may_infer_but_not_read_metadata(client, predictor, viewer):
    result = client.infer("price", inputs_for("pipeline_regressor"), headers=predictor())
    assert result.as_numpy("variable") is not None
    for call in (lambda: client.get_model_metadata("price", headers=predictor()),
                 lambda: client.get_model_metadata("rf", model_version="1", headers=predictor()),
                 lambda: client.get_server_metadata(headers=predictor())):
        with pytest.raises(InferenceServerException) as err:
            call()
        assert err.value.status() == "403"
        assert "`read`" in str(err.value)
    # Readiness of a model is metadata too: a predictor is told no, a viewer yes.
    assert not client.is_model_ready("price", headers=predictor())
    assert client.is_model_ready("price", headers=viewer())
    # And a viewer may read but not infer.
    with pytest.raises(InferenceServerException) as err:
        client.infer("price", inputs_for("pipeline_regressor"), headers=viewer())
    assert err.value.status() == "403"
    assert "`predict`" in str(err.value)


def test_the_served_document_with_deployed_models_is_valid_openapi(server):
    from openapi_spec_validator import validate

    doc = json.loads(urllib.request.urlopen(f"http://{server['address']}/openapi.json").read())
    assert "/api/models/price/predict" in doc["paths"]
    infer = doc["paths"]["/v2/models/{name}/infer"]["post"]
    assert infer["security"] == [{"bearer": ["predict"]}]
    assert {"401", "403"} <= set(infer["responses"])
    assert doc["paths"]["/v2/health/live"]["get"]["security"] == [{}]
    validate(doc)
