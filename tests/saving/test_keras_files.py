"""Keras 3 `.keras` files both ways: minikeras -> Keras and Keras -> minikeras, with the real Keras
(PyTorch backend) where it is installed, and a committed Keras-made fixture where it is not."""
import io
import json
import pathlib
import zipfile

import numpy as np
import pytest

import minikeras as mk
from minikeras.saving import ModelFileError
from tests.layers.test_layer_harness import CASES, sample_inputs, trained_model

FIXTURES = pathlib.Path(__file__).with_name("fixtures") / "keras"
# Layers Keras cannot express: the export refuses them, naming the layer.
NOT_IN_KERAS = {"GELU(approximate=True)", "Threshold", "HardShrink", "SoftShrink", "CELU", "Squareplus", "GLU",
                "GLU(axis=1)", "Sparsemax", "Sparsemax(axis=1)", "BatchNorm(trainable=False)", "OpLayer(tanh)",
                "OpLayer(normalize, axis=-1)"}
# Written, but Keras' PyTorch backend normalizes over trailing axes only; its JAX and TensorFlow backends
# compute it.
KERAS_TORCH_CANNOT_RUN = {"LayerNormalization(axis=1, no scale)"}
# Keras' PyTorch backend pads an uneven "same" average pool by repeating the edge pixels and averages
# them too; its JAX and TensorFlow backends, and minikeras, average the pixels inside the image only.
KERAS_TORCH_CANNOT_RUN |= {"AveragePooling2D(3, strides 2, same)"}
# Keras 3.15's RandomCrop returns its input uncropped at inference, against its own documentation and
# output shape (the Dense after it then fails); minikeras crops as documented. Keras still loads the file.
KERAS_CANNOT_PREDICT = {"RandomCrop", "RandomCrop(resize)"}


@pytest.mark.parametrize("name", sorted(set(CASES) - NOT_IN_KERAS - KERAS_TORCH_CANNOT_RUN - KERAS_CANNOT_PREDICT))
def test_keras_loads_what_minikeras_saves_and_predicts_the_same(name, tmp_path):
    keras = pytest.importorskip("keras")
    shape = CASES[name][1]
    model = trained_model(name)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras")
    x = sample_inputs(shape, 7, seed=1, scale=2)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)), model.predict(x, verbose=0),
                               atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(KERAS_CANNOT_PREDICT))
def test_keras_loads_a_random_crop_with_its_arguments(name, tmp_path):
    keras = pytest.importorskip("keras")
    model = trained_model(name)
    model.save(tmp_path / "m.keras")
    theirs = keras.saving.load_model(tmp_path / "m.keras").layers[0]
    assert type(theirs).__name__ == "RandomCrop"
    assert (theirs.height, theirs.width) == (model.layers[0].height, model.layers[0].width)
    again = mk.load_model(tmp_path / "m.keras")
    x = sample_inputs(CASES[name][1], 7, seed=1, scale=2)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


@pytest.mark.parametrize("name", sorted(NOT_IN_KERAS - {"BatchNorm(trainable=False)"}))
def test_a_layer_keras_cannot_express_is_refused_by_name(name, tmp_path):
    model = trained_model(name)
    with pytest.raises(ValueError, match=f"Cannot write layer {model.layers[0].name!r}"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_a_frozen_layer_stays_frozen_in_keras(tmp_path):
    keras = pytest.importorskip("keras")
    model = trained_model("BatchNorm(trainable=False)")
    model.save(tmp_path / "m.keras")
    assert keras.saving.load_model(tmp_path / "m.keras").layers[0].trainable is False


@pytest.mark.parametrize("file", ["mlp.keras", "mlp_legacy.h5"])
def test_the_keras_made_fixtures_load_predict_as_keras_did_and_train(file):
    model = mk.load_model(FIXTURES / file)
    expected = np.load(FIXTURES / "mlp_expected.npz")
    np.testing.assert_allclose(model.predict(expected["x"], verbose=0), expected["predictions"], atol=1e-5)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Rescaling", "Dense", "BatchNormalization", "Dropout", "Dense", "LayerNormalization", "LeakyReLU", "Dense"]
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(expected["x"], np.arange(10) % 3, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_a_model_trained_in_keras_today_loads_and_trains(tmp_path):
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(48, 5)).astype("float32"), np.arange(48) % 2
    theirs = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8), keras.layers.PReLU(),
                               keras.layers.Normalization(mean=0.1, variance=2.0), keras.layers.Dense(2),
                               keras.layers.Softmax()])
    theirs.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    theirs.fit(x, y, epochs=2, verbose=0)
    for file in ("k.keras", "k.h5"):  # Keras 3's format, and its legacy HDF5 one
        theirs.save(tmp_path / file)
        ours = mk.load_model(tmp_path / file)
        np.testing.assert_allclose(ours.predict(x, verbose=0),
                                   keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)), atol=1e-5)
        ours.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        ours.fit(x, y, epochs=1, verbose=0)


def test_a_lambda_layer_is_refused_without_running_it(tmp_path):
    keras = pytest.importorskip("keras")
    marker = str(tmp_path / "ran.txt")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(
        lambda t: (open(marker, "w").close(), t)[1]), keras.layers.Dense(2)])
    for file in ("lambda.keras", "lambda.h5"):
        model.save(tmp_path / file)
        pathlib.Path(marker).unlink(missing_ok=True)  # Keras ran it while building the model
        with pytest.raises(ModelFileError, match="Lambda.*runs nothing from the file"):
            mk.load_model(tmp_path / file)
        assert not pathlib.Path(marker).exists()


def _rewritten(tmp_path, change, source=FIXTURES / "mlp.keras"):
    """The `source` file with `change(members)` applied to its {name: bytes}."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    path = tmp_path / "changed.keras"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _config_change(edit):
    def change(members):
        config = json.loads(members["config.json"])
        edit(config)
        members["config.json"] = json.dumps(config).encode()
    return change


@pytest.mark.parametrize("change, message", [
    (lambda m: m.update({"../evil.py": b"print(1)"}), "members are"),
    (lambda m: m.pop("model.weights.h5"), "members are"),
    (_config_change(lambda c: c.update(class_name="MyModel")), "reads Sequential and functional models"),
    (_config_change(lambda c: c.update(class_name="Functional")), "must be a dict with a unique 'name'"),
    (_config_change(lambda c: c["config"]["layers"][2].update(registered_name="mypackage>Custom")),
     "Unknown layer 'mypackage>Custom'. A custom class is loaded only when registered"),
    (_config_change(lambda c: c["config"]["layers"][2]["config"].update(kernel_constraint={"class_name": "NonNeg"})),
     "kernel_constraint"),
    (_config_change(lambda c: c["config"]["layers"][3]["config"].update(activation={"class_name": "Custom"})),
     "minikeras does not support|activations by name"),
    (_config_change(lambda c: c["config"].update(dtype="mixed_float16")), "dtype policy"),
    (lambda m: m.update({"config.json": b"[" * 100000 + b"]" * 100000}), "Keras file"),
    (lambda m: m.update({"config.json": b'{"class_name": NaN}'}), "not JSON"),
    (lambda m: m.update({"model.weights.h5": m["model.weights.h5"] + bytes(8 << 20)}), "at most"),
    (lambda m: m.update({"model.weights.h5": b"not HDF5"}), "Keras file"),
])
def test_a_hostile_or_foreign_keras_file_is_refused_with_the_reason(tmp_path, change, message):
    with pytest.raises(ModelFileError, match=message):
        mk.load_model(_rewritten(tmp_path, change))


def test_external_storage_inside_the_weights_is_refused(tmp_path):
    import h5py
    (tmp_path / "secret.txt").write_bytes(b"x" * 4096)

    def change(members):
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "a") as f:
            del f["layers/dense/vars/0"]
            f.create_dataset("layers/dense/vars/0", shape=(6, 16), dtype="f4",
                             external=[(str(tmp_path / "secret.txt"), 0, 384)])
        members["model.weights.h5"] = buffer.getvalue()

    with pytest.raises(ModelFileError, match="outside this file"):
        mk.load_model(_rewritten(tmp_path, change))


def test_the_command_line_converts_and_inspects_keras_files(tmp_path, capsys):
    from minikeras.cli import main
    assert main(["convert", str(FIXTURES / "mlp.keras"), str(tmp_path / "m.h5")]) == 0
    assert main(["convert", str(tmp_path / "m.h5"), str(tmp_path / "again.keras")]) == 0
    assert main(["inspect", str(tmp_path / "again.keras")]) == 0
    assert "Keras 3 model file" in capsys.readouterr().out
    expected = np.load(FIXTURES / "mlp_expected.npz")
    np.testing.assert_allclose(mk.load_model(tmp_path / "again.keras").predict(expected["x"], verbose=0),
                               expected["predictions"], atol=1e-5)


def test_a_layer_normalization_over_a_middle_axis_is_written(tmp_path):
    model = trained_model("LayerNormalization(axis=1, no scale)")
    model.save(tmp_path / "m.keras")
    np.testing.assert_array_equal(mk.load_model(tmp_path / "m.keras").predict(np.ones((2, 2, 3), "float32"),
                                                                              verbose=0),
                                  model.predict(np.ones((2, 2, 3), "float32"), verbose=0))


def test_a_legacy_file_with_a_missing_or_misshapen_array_is_refused(tmp_path):
    import shutil

    import h5py
    for damage, message in [("missing", "no gamma"), ("shape", "has shape")]:
        path = tmp_path / f"{damage}.h5"
        shutil.copyfile(FIXTURES / "mlp_legacy.h5", path)
        with h5py.File(path, "a") as f:
            group = f["model_weights/batch_normalization"]
            found = [name for name in _dataset_names(group) if name.endswith("gamma")]
            del group[found[0]]
            if damage == "shape":
                group.create_dataset(found[0], data=np.ones(7, "float32"))
        with pytest.raises(ModelFileError, match=message):
            mk.load_model(path)


def _dataset_names(group) -> list[str]:
    names: list[str] = []
    group.visit(names.append)
    return names


def test_non_finite_weights_in_a_keras_file_load_with_a_warning(tmp_path):
    model = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2)], seed=0)
    model.layers[0].kernel.assign(np.full((3, 2), np.nan))
    model.save(tmp_path / "nan.keras")
    with pytest.warns(UserWarning, match=r"dense/kernel hold NaN or inf"):
        mk.load_model(tmp_path / "nan.keras")


def _rezipped(tmp_path, edit_members, compression=zipfile.ZIP_DEFLATED):
    model = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2)], seed=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    edit_members(members)
    with zipfile.ZipFile(tmp_path / "bad.keras", "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return tmp_path / "bad.keras"


def test_an_input_layer_config_that_is_not_an_object_is_a_model_file_error(tmp_path):
    def edit(members):
        config = json.loads(members["config.json"])
        config["config"]["layers"][0]["config"] = "not an object"
        members["config.json"] = json.dumps(config).encode()

    with pytest.raises(ModelFileError, match="InputLayer's batch_shape is None"):
        mk.load_model(_rezipped(tmp_path, edit))


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2])
def test_a_damaged_compressed_member_is_a_model_file_error(tmp_path, compression):
    path = _rezipped(tmp_path, lambda members: None, compression)
    raw = bytearray(path.read_bytes())
    start = raw.index(b"config.json") + len(b"config.json")  # the first member's data follows its name
    for offset in range(start + 8, start + 40):
        raw[offset] ^= 0x5A
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="as a Keras file"):
        mk.load_model(path)


def _keras_graph(keras):
    """A Keras functional model of two inputs and two outputs, a shared layer and a skip connection."""
    left, right = keras.Input(shape=(5,), name="left"), keras.Input(shape=(3,), name="right")
    shared = keras.layers.Dense(5, activation="tanh", name="shared")
    h = keras.layers.Add(name="skip")([shared(left), shared(keras.layers.Dense(5, name="widen")(right))])
    h = keras.layers.concatenate([h, right], name="join")
    h = keras.layers.BatchNormalization(name="norm")(h)
    first = keras.layers.Dense(3, activation="softmax", name="first")(h)
    second = keras.layers.Dense(1, name="second")(keras.layers.Dot(axes=1, normalize=True)([h, h]))
    model = keras.Model([left, right], [first, second])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
    rng = np.random.default_rng(0)
    x = [rng.normal(size=(32, 5)).astype("float32"), rng.normal(size=(32, 3)).astype("float32")]
    model.fit(x, [np.arange(32) % 3, x[0][:, :1]], epochs=2, verbose=0)
    return model, x


@pytest.mark.parametrize("file", ["graph.keras", "graph.h5"])
def test_a_functional_model_saved_by_keras_loads_and_predicts_the_same(tmp_path, file):
    keras = pytest.importorskip("keras")
    theirs, x = _keras_graph(keras)
    theirs.save(tmp_path / file)
    ours = mk.load_model(tmp_path / file)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]  # Keras' order
    assert ours.output_names == ["first", "second"] and ours.input_names == ["left", "right"]
    expected = [keras.ops.convert_to_numpy(out) for out in theirs.predict(x, verbose=0)]
    for mine, reference in zip(ours.predict(x, verbose=0), expected, strict=True):
        np.testing.assert_allclose(mine, reference, atol=1e-5, rtol=1e-5)
    ours.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
    ours.fit(x, [np.arange(32) % 3, x[0][:, :1]], epochs=1, verbose=0)


def test_keras_loads_a_functional_model_minikeras_saved_and_predicts_the_same(tmp_path):
    keras = pytest.importorskip("keras")
    theirs, x = _keras_graph(keras)
    theirs.save(tmp_path / "graph.keras")
    ours = mk.load_model(tmp_path / "graph.keras")
    ours.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
    ours.fit(x, [np.arange(32) % 3, x[0][:, :1]], epochs=1, verbose=0)
    ours.save(tmp_path / "ours.keras")
    again = keras.saving.load_model(tmp_path / "ours.keras")
    for mine, reference in zip(ours.predict(x, verbose=0), again.predict(x, verbose=0), strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(reference), mine, atol=1e-5, rtol=1e-5)


def test_the_compile_config_goes_both_ways(tmp_path):
    keras = pytest.importorskip("keras")
    theirs, x = _keras_graph(keras)
    theirs.compile(optimizer=keras.optimizers.Adam(0.002), loss={"first": "sparse_categorical_crossentropy",
                                                                 "second": "mse"},
                   loss_weights=[1.0, 0.25], metrics={"first": ["accuracy"], "second": ["mae"]})
    theirs.save(tmp_path / "compiled.keras")
    ours = mk.load_model(tmp_path / "compiled.keras")
    assert ours.compiled and type(ours.optimizer).__name__ == "Adam"
    assert ours.optimizer.learning_rate == pytest.approx(0.002) and ours.loss_weights == [1.0, 0.25]
    y = [np.arange(32) % 3, x[0][:, :1]]
    mine = ours.evaluate(x, y, return_dict=True, verbose=0)
    reference = theirs.evaluate(x, y, return_dict=True, verbose=0)
    assert mine == pytest.approx({key: float(value) for key, value in reference.items()}, rel=1e-5)
    ours.save(tmp_path / "ours.keras")
    again = keras.saving.load_model(tmp_path / "ours.keras")
    assert again.compiled and type(again.optimizer).__name__ == "Adam"
    assert again.evaluate(x, y, return_dict=True, verbose=0) == pytest.approx(mine, rel=1e-5)


def test_a_compile_config_minikeras_cannot_apply_loads_the_model_uncompiled_with_a_warning(tmp_path):
    model = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2)], seed=0)
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.keras")
    evil = {"module": "mypackage", "class_name": "Evil", "config": {}}
    bad = _rewritten(tmp_path, _config_change(lambda c: c["compile_config"].update(optimizer=evil)),
                     source=tmp_path / "m.keras")
    with pytest.warns(UserWarning, match="uncompiled.*Evil"):
        loaded = mk.load_model(bad)
    assert not loaded.compiled
    assert mk.load_model(tmp_path / "m.keras").compiled


def _nested(lib):
    """A functional model calling a functional tower twice and ending in a Sequential head."""
    tower_in = lib.Input(shape=(6,), name="tower_in")
    tower = lib.Model(tower_in, lib.layers.Dense(4, activation="relu", name="tower_dense")(tower_in), name="tower")
    head = lib.Sequential([lib.Input(shape=(4,)), lib.layers.Dense(3, activation="softmax", name="head_dense")],
                          name="head")
    left, right = lib.Input(shape=(6,), name="left"), lib.Input(shape=(6,), name="right")
    joined = lib.layers.Concatenate(name="join")([tower(left), tower(right)])
    return lib.Model([left, right], head(lib.layers.Dense(4, name="mid")(joined)))


def test_nested_models_go_both_ways_through_keras_files(tmp_path):
    keras = pytest.importorskip("keras")
    x = [np.random.default_rng(k).normal(size=(5, 6)).astype("float32") for k in (1, 2)]
    theirs = _nested(keras)
    expected = keras.ops.convert_to_numpy(theirs.predict(x, verbose=0))
    for file in ("theirs.keras", "theirs.h5"):  # Keras 3's format and its legacy HDF5 one
        theirs.save(tmp_path / file)
        ours = mk.load_model(tmp_path / file)
        assert [type(layer).__name__ for layer in ours.layers] == ["InputLayer", "InputLayer", "Functional",
                                                                   "Concatenate", "Dense", "Sequential"]
        np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-6)
    mine = _nested(mk)
    mine.save(tmp_path / "ours.keras")
    again = keras.saving.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(again.predict(x, verbose=0)), mine.predict(x, verbose=0),
                               atol=1e-6)
    np.testing.assert_allclose(mk.load_model(tmp_path / "ours.keras").predict(x, verbose=0),
                               mine.predict(x, verbose=0), atol=1e-6)


def test_a_convnet_trained_in_keras_loads_predicts_the_same_trains_and_converts(tmp_path, capsys):
    keras = pytest.importorskip("keras")
    from minikeras.cli import main
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(40, 12, 12, 1)).astype("float32"), np.arange(40) % 3
    theirs = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(6, 3, activation="relu"),
                               keras.layers.MaxPooling2D(), keras.layers.Conv2D(8, 2, padding="same", groups=2),
                               keras.layers.DepthwiseConv2D(2, depth_multiplier=2, activation="relu"),
                               keras.layers.SeparableConv2D(4, 2, padding="same"),
                               keras.layers.AveragePooling2D(2), keras.layers.Flatten(), keras.layers.Dropout(0.3),
                               keras.layers.Dense(3, activation="softmax")])
    theirs.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    theirs.fit(x, y, epochs=2, verbose=0)
    expected = keras.ops.convert_to_numpy(theirs.predict(x, verbose=0))
    for file in ("k.keras", "k.h5"):  # Keras 3's format, and its legacy HDF5 one
        theirs.save(tmp_path / file)
        ours = mk.load_model(tmp_path / file)
        np.testing.assert_allclose(ours.predict(x, verbose=0), expected, atol=1e-5)
        ours.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        ours.fit(x, y, epochs=1, verbose=0)
    assert main(["convert", str(tmp_path / "k.keras"), str(tmp_path / "m.h5")]) == 0
    assert main(["inspect", str(tmp_path / "m.h5")]) == 0
    assert "conv2d" in capsys.readouterr().out
    np.testing.assert_allclose(mk.load_model(tmp_path / "m.h5").predict(x, verbose=0), expected, atol=1e-5)
