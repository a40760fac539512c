import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

import minikeras as mk


@pytest.fixture
def server():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], self.headers.get("X-Run"), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()


def _fit(callback):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4)).astype("float32"), rng.integers(0, 2, 64)
    model = mk.Sequential([mk.layers.Dense(2, activation="softmax")], input_dim=4)
    model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    return model.fit(x, y, epochs=2, verbose=0, callbacks=[callback]).history


@pytest.mark.parametrize("send_as_json", [False, True])
def test_posts_every_epochs_logs(server, send_as_json):
    root, received = server
    history = _fit(mk.callbacks.RemoteMonitor(root, path="/epochs", headers={"X-Run": "7"},
                                              send_as_json=send_as_json))
    assert [path for path, *_ in received] == ["/epochs", "/epochs"]
    for epoch, (_, content_type, run, body) in enumerate(received):
        record = json.loads(body) if send_as_json else json.loads(urllib.parse.parse_qs(body)["data"][0])
        assert content_type == ("application/json" if send_as_json else "application/x-www-form-urlencoded")
        assert run == "7" and record["epoch"] == epoch and record["loss"] == history["loss"][epoch]


def test_an_unreachable_server_warns_and_training_goes_on():
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server"):
        history = _fit(mk.callbacks.RemoteMonitor("http://127.0.0.1:9", path="/"))
    assert len(history["loss"]) == 2


def test_only_http_urls():
    with pytest.raises(ValueError, match="http"):
        mk.callbacks.RemoteMonitor("file:///etc", path="/passwd")
