"""ONNX export of every layer kind, run in onnxruntime against `model.predict`."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from tests.layers.test_layer_harness import CASES, sample_inputs, trained_model

onnxruntime = pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")


# Layers written with call (here: ops on symbolic tensors) have no ONNX converter.
NOT_IN_ONNX = {"OpLayer(tanh)", "OpLayer(normalize, axis=-1)"}


@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_IN_ONNX))
def test_every_layer_exports_and_onnxruntime_predicts_the_same(name, tmp_path):
    shape = CASES[name][1]
    model = trained_model(name)
    model.export(tmp_path / "m.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
    names = [info.name for info in session.get_inputs()]
    assert names == (model.input_names if isinstance(shape, list) else ["input"])
    assert [info.name for info in session.get_outputs()] == ["output"]
    for batch in (1, 7, 1000):
        x = sample_inputs(shape, batch, seed=batch, scale=2)
        (ours,) = session.run(None, dict(zip(names, x if isinstance(x, list) else [x])))
        np.testing.assert_allclose(ours, model.predict(x, verbose=0), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(NOT_IN_ONNX))
def test_a_layer_without_a_converter_is_refused_by_name(name, tmp_path):
    model = trained_model(name)
    with pytest.raises(ValueError, match=f"Cannot export layer {model.layers[0].name!r}"):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_a_float64_model_exports_as_double(tmp_path):
    model = mk.Model(input_dim=5, seed=0, dtype="float64")
    model.add_layer(8, "tanh", batch_norm=True)
    model.add_layer(2, "softmax")
    model.compile()
    model.export(tmp_path / "m.onnx")
    x = np.random.default_rng(0).standard_normal((4, 5))
    (ours,) = onnxruntime.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"input": x})
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, model.predict(x, verbose=0), atol=1e-12)


def test_other_formats_and_arguments_are_refused(tmp_path):
    model = trained_model("ReLU")
    with pytest.raises(ValueError, match="format='onnx' only"):
        model.export(tmp_path / "m", format="tf_saved_model")
    with pytest.raises(ValueError, match="input_signature"):
        model.export(tmp_path / "m.onnx", input_signature=[(None, 4)])
    assert not (tmp_path / "m.onnx").exists()


def test_a_layer_without_a_converter_is_named(tmp_path):
    @mk.register_layer
    class Doubling(layers.Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, grad_out):
            return 2 * grad_out

    model = mk.Sequential([layers.Input((3,)), Doubling(name="twice"), layers.Dense(2)])
    model.compile(loss="mse")
    with pytest.raises(ValueError, match="'twice' \\(Doubling\\)"):
        model.export(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_the_convert_command_exports_a_saved_model(tmp_path, capsys):
    from minikeras.cli import main
    model = trained_model("BatchNormalization")
    model.save(tmp_path / "m.h5")
    assert main(["convert", str(tmp_path / "m.h5"), str(tmp_path / "m.onnx")]) == 0
    x = np.random.default_rng(0).standard_normal((5, *CASES["BatchNormalization"][1])).astype("float32")
    (ours,) = onnxruntime.InferenceSession(str(tmp_path / "m.onnx")).run(None, {"input": x})
    np.testing.assert_allclose(ours, model.predict(x, verbose=0), atol=1e-6)
    assert main(["convert", str(tmp_path / "m.h5"), str(tmp_path / "m.txt")]) == 2
    assert ".onnx" in capsys.readouterr().err


def test_a_residual_two_input_two_output_graph_exports_and_onnxruntime_agrees(tmp_path):
    wide, deep = mk.Input(shape=(4,), name="wide"), mk.Input(shape=(6,), name="deep")
    h = layers.Dense(6, activation="relu")(deep)
    h = layers.Add()([h, layers.Dense(6, activation="tanh")(h)])
    joined = layers.Concatenate()([wide, layers.BatchNormalization()(h)])
    scores = layers.Dense(3, activation="softmax", name="scores")(joined)
    value = layers.Dense(1, name="value")(layers.Maximum()([joined, layers.Dense(10)(joined)]))
    model = mk.Model({"wide": wide, "deep": deep}, [scores, value], seed=0)
    model.compile(loss=["sparse_categorical_crossentropy", "mse"])
    rng = np.random.default_rng(0)
    x = {"wide": rng.normal(size=(40, 4)).astype("float32"), "deep": rng.normal(size=(40, 6)).astype("float32")}
    model.fit(x, [np.arange(40) % 3, x["wide"][:, :1]], epochs=2, verbose=0)
    model.export(tmp_path / "graph.onnx")
    session = onnxruntime.InferenceSession(str(tmp_path / "graph.onnx"))
    assert [i.name for i in session.get_inputs()] == ["wide", "deep"]
    assert [o.name for o in session.get_outputs()] == ["scores", "value"]
    for mine, reference in zip(session.run(None, x), model.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(mine, reference, atol=1e-5, rtol=1e-5)
