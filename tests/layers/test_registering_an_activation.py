"""The recipe of docs/architecture.md: an activation registered in this file alone works in fit, in a
`.keras` file written and read back, and in ONNX export, with nothing in minikeras.saving touched."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from minikeras.layers import activations
from tests.conftest import blobs


@activations.register_activation("cube_root_ish")
class CubeRootIsh(activations.InputActivation):
    r"""$y = x / (1 + x^2)^{1/3}$; $dy/dx = (1 + x^2/3) / (1 + x^2)^{4/3}$."""

    keras_activation = "cube_root_ish"  # what a .keras file calls it (minikeras reads it back by that name)

    def _value(self, x):
        return x / np.cbrt(1.0 + x * x)

    def _slope(self, x, y):
        return (1.0 + x * x / 3.0) / np.cbrt(1.0 + x * x) ** 4

    def to_onnx(self, g, x):
        root = g.op("Pow", g.op("Add", g.op("Mul", x, x), g.constant(1.0)), g.constant(1.0 / 3.0))
        return g.op("Div", x, root)


def _model(dtype="float32"):
    return mk.Sequential([mk.Input(shape=(5,)), layers.Dense(8, activation="cube_root_ish"),
                          layers.Dense(3, activation="softmax")], seed=0, dtype=dtype)


def test_it_trains_and_its_gradient_checks():
    model = _model("float64")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = blobs(n=40, dim=5, dtype="float64")
    assert max(model.check_gradients(x, y).values()) < 1e-7
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    np.testing.assert_allclose(mk.activations.get("cube_root_ish")(np.array([2.0])), 2.0 / np.cbrt(5.0))
    np.testing.assert_allclose(mk.activations.cube_root_ish(np.array([2.0])), 2.0 / np.cbrt(5.0))


def test_it_saves_to_a_keras_file_and_loads_back(tmp_path):
    model = _model()
    model.save(tmp_path / "m.keras")
    loaded = mk.load_model(tmp_path / "m.keras")
    x = np.random.default_rng(0).standard_normal((6, 5)).astype("float32")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert isinstance(loaded.layers[1].activation, CubeRootIsh)  # Keras writes the activation as its own layer


def test_it_exports_to_onnx(tmp_path):
    onnxruntime = pytest.importorskip("onnxruntime")
    model = _model()
    model.export(tmp_path / "m.onnx")
    x = np.random.default_rng(1).standard_normal((7, 5)).astype("float32")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    (output,) = session.run(None, {"input": x})
    np.testing.assert_allclose(output, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
