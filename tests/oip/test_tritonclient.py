"""The Open Inference Protocol v2 endpoints, driven by the real Triton HTTP client
(tritonclient[http]) with its default settings: binary tensor data on.

Runs the `retort` binary (RETORT_BIN, default target/debug/retort) on a free port with a
fresh SQLite database, deploys fixtures from fixtures/models with `retort models deploy`,
and checks every answer against what onnxruntime computed when the fixtures were made.
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


@pytest.fixture(scope="session")
def server():
    if not BIN.exists():
        pytest.fail(f"the retort binary is missing at {BIN}; build it with cargo build -p retort")
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite://{tmp.name}/oip.db"
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
    yield f"127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    tmp.cleanup()


@pytest.fixture
def client(server):
    return httpclient.InferenceServerClient(url=server)


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


def test_server_is_live_and_ready_and_describes_itself(client):
    assert client.is_server_live()
    assert client.is_server_ready()
    meta = client.get_server_metadata()
    assert meta["name"] == "retort"
    assert "binary_tensor_data" in meta["extensions"]


def test_model_metadata_lists_the_graph_inputs_and_outputs(client):
    assert client.is_model_ready("price")
    assert client.is_model_ready("rf", model_version="1")
    meta = client.get_model_metadata("price")
    assert meta["platform"] == "onnx"
    assert [i["name"] for i in meta["inputs"]] == list(spec("pipeline_regressor")["inputs"])
    assert {i["datatype"] for i in meta["inputs"]} == {"FP32", "BYTES"}
    assert meta["outputs"][0]["name"] == "variable"


def test_infer_with_default_settings_uses_binary_data_and_matches_onnxruntime(client):
    result = client.infer("price", inputs_for("pipeline_regressor"))
    assert_close(result.as_numpy("variable"), spec("pipeline_regressor")["outputs"]["variable"]["data"])
    assert result.get_response()["model_version"] == "1"


def test_infer_with_json_tensors_matches_onnxruntime(client):
    outputs = [httpclient.InferRequestedOutput("label", binary_data=False),
               httpclient.InferRequestedOutput("probabilities", binary_data=False)]
    result = client.infer("rf", inputs_for("random_forest_classifier_nozipmap", binary=False), model_version="1", outputs=outputs)
    want = spec("random_forest_classifier_nozipmap")["outputs"]
    assert result.as_numpy("label").tolist() == want["label"]["data"]
    assert_close(result.as_numpy("probabilities"), want["probabilities"]["data"])


def test_a_zipmap_output_is_served_as_its_probability_matrix(client):
    result = client.infer("rf", inputs_for("random_forest_classifier"), model_version="2")
    probs = result.as_numpy("output_probability")
    want = spec("random_forest_classifier")["outputs"]["output_probability"]["data"]
    assert probs.shape == (len(want), 2)
    assert_close(probs, [[row["0"], row["1"]] for row in want])


def test_string_labels_come_back_as_bytes(client):
    result = client.infer("labels", inputs_for("random_forest_classifier_string_labels"))
    labels = [x.decode() for x in result.as_numpy("output_label").ravel()]
    assert labels == spec("random_forest_classifier_string_labels")["library"]["predict"]


def test_compressed_requests_and_responses(client):
    for algorithm in ("gzip", "deflate"):
        result = client.infer("price", inputs_for("pipeline_regressor"),
                              request_compression_algorithm=algorithm, response_compression_algorithm="gzip")
        assert_close(result.as_numpy("variable"), spec("pipeline_regressor")["outputs"]["variable"]["data"])


def test_errors_are_reported_as_the_protocol_says(client):
    bad = httpclient.InferInput("not_an_input", [1, 1], "FP32")
    bad.set_data_from_numpy(np.zeros((1, 1), dtype=np.float32))
    with pytest.raises(InferenceServerException) as err:
        client.infer("price", [bad])
    assert "not_an_input" in str(err.value)
    with pytest.raises(InferenceServerException):
        client.infer("no_such_model", inputs_for("pipeline_regressor"))
    assert not client.is_model_ready("no_such_model")
    wrong_type = inputs_for("pipeline_regressor")
    wrong_type[0] = httpclient.InferInput("width_mm", [20, 1], "INT64")
    wrong_type[0].set_data_from_numpy(np.zeros((20, 1), dtype=np.int64))
    with pytest.raises(InferenceServerException) as err:
        client.infer("price", wrong_type)
    assert "FP32" in str(err.value)


def test_the_served_document_with_deployed_models_is_valid_openapi(server):
    from openapi_spec_validator import validate

    doc = json.loads(urllib.request.urlopen(f"http://{server}/openapi.json").read())
    assert "/api/models/price/predict" in doc["paths"]
    validate(doc)
