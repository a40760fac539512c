"""Saving and loading: round trips, exact resume, safety, atomicity, compatibility."""
import json
import os
import pathlib
import subprocess
import sys

import h5py
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from minikeras.saving import ModelFileError, hdf5
from tests.conftest import blobs

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
ROOT = pathlib.Path(__file__).resolve().parents[2]


def _model(optimizer="sgd-clr", dtype="float64", seed=0):
    model = mk.Model(input_dim=5, seed=seed, dtype=dtype)
    model.add_layer(16, "relu", batch_norm=True, dropout=0.3, l2=1e-3)
    model.add_layer(8, "tanh", batch_norm=True)
    model.add_layer(3, "softmax")
    if optimizer == "sgd-clr":
        optimizer = mk.optimizers.SGD(mk.schedules.CyclicLR(1e-3, 1e-1, step_size=7), momentum=0.9)
    elif optimizer == "rmsprop-centered-clipnorm":
        optimizer = mk.optimizers.RMSprop(momentum=0.5, centered=True, clipnorm=0.5, weight_decay=0.01)
    model.compile(optimizer=optimizer, metrics=["accuracy"])
    return model


def _assert_same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)


def test_round_trip_predicts_identically_and_keeps_everything(tmp_path):
    x, y = blobs()
    model = _model(dtype="float32")
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.get_config() == model.get_config()
    assert loaded.get_compile_config() == model.get_compile_config()
    assert loaded.optimizer.iterations == model.optimizer.iterations and loaded.epoch == 2
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert f.attrs["format_version"] == 1 and f.attrs["minikeras_version"] == mk.__version__
        assert f["weights/dense/kernel"].shape == (5, 16)
        assert f["weights/batch_norm/moving_var"].shape == (16,)
        assert f["optimizer/velocity/dense/kernel"].shape == (5, 16)


RESUME_SCRIPT = """
import sys, numpy as np, minikeras as mk
from tests.conftest import blobs
x, y = blobs()
model = mk.load_model(sys.argv[1])
model.fit(x, y, epochs=4, initial_epoch=model.epoch, batch_size=32, validation_split=0.2, verbose=0)
model.save(sys.argv[2])
"""


@pytest.mark.parametrize("optimizer", ["sgd-clr", "adam", "nadam", "adagrad", "rmsprop-centered-clipnorm", "lamb",
                                       "ftrl", "schedule_free_adamw", "muon", "adafactor"])
def test_resume_in_a_fresh_process_is_bit_identical(tmp_path, optimizer):
    x, y = blobs()
    straight = _model(optimizer)
    straight.fit(x, y, epochs=4, batch_size=32, validation_split=0.2, verbose=0)
    halfway = _model(optimizer)
    halfway.fit(x, y, epochs=2, batch_size=32, validation_split=0.2, verbose=0)
    halfway.save(tmp_path / "half.h5")
    subprocess.run([sys.executable, "-c", RESUME_SCRIPT, str(tmp_path / "half.h5"), str(tmp_path / "done.h5")],
                   check=True, cwd=ROOT)
    resumed = mk.load_model(tmp_path / "done.h5")
    _assert_same_weights(straight, resumed)
    straight_state, resumed_state = {}, {}
    straight.optimizer.save_own_variables(straight_state)
    resumed.optimizer.save_own_variables(resumed_state)
    assert straight_state.keys() == resumed_state.keys()
    for key, value in straight_state.items():
        np.testing.assert_array_equal(resumed_state[key], value)
    assert resumed.epoch == 4 and resumed.optimizer.iterations == straight.optimizer.iterations


def test_weights_only_round_trip(tmp_path):
    x, y = blobs()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.h5")
    other = _model(seed=7)
    other.load_weights(tmp_path / "w.h5")
    _assert_same_weights(model, other)
    with pytest.raises(ModelFileError, match="weights only"):
        mk.load_model(tmp_path / "w.h5")


def test_load_weights_from_a_full_model_file(tmp_path):
    model = _model()
    model.save(tmp_path / "m.h5")
    other = _model(seed=3)
    other.load_weights(tmp_path / "m.h5")
    _assert_same_weights(model, other)


def test_shape_mismatch_names_the_layer_and_changes_nothing(tmp_path):
    _model().save_weights(tmp_path / "w.h5")
    wider = mk.Model(input_dim=5, seed=0, dtype="float64")
    wider.add_layer(16, "relu", batch_norm=True, dropout=0.3)
    wider.add_layer(8, "tanh", batch_norm=True)
    wider.add_layer(4, "softmax")
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"w\.h5.*/weights/dense_2/kernel has shape \(8, 3\); the model's is \(8, 4\)"):
        wider.load_weights(tmp_path / "w.h5")
    for a, b in zip(wider.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_missing_layer_is_named(tmp_path):
    _model().save_weights(tmp_path / "w.h5")
    deeper = _model()
    deeper.add_layer(3, "softmax")
    with pytest.raises(ModelFileError, match=r"w\.h5.*dense_3/kernel is missing"):
        deeper.load_weights(tmp_path / "w.h5")


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable HDF5 file"),
    (b"this is not a model" * 100, "not a readable HDF5 file"),
])
def test_garbage_files(tmp_path, content, message):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as error:
        mk.load_model(path)
    assert "bad.h5" in str(error.value)


def test_truncated_file(tmp_path):
    _model().save(tmp_path / "m.h5")
    data = (tmp_path / "m.h5").read_bytes()
    for keep in (len(data) // 2, len(data) - 100, 600):
        (tmp_path / "cut.h5").write_bytes(data[:keep])
        with pytest.raises(ModelFileError, match="cut.h5"):
            mk.load_model(tmp_path / "cut.h5")


def test_hdf5_that_is_not_a_minikeras_file(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(ModelFileError, match="not a minikeras file"):
        mk.load_model(tmp_path / "other.h5")


def test_missing_file():
    with pytest.raises(FileNotFoundError, match="No model file"):
        mk.load_model("/nonexistent/m.h5")


def test_corrupted_bytes_never_crash(tmp_path):
    """Random byte damage anywhere: the file loads, or a ModelFileError explains why not."""
    _model().save(tmp_path / "m.h5")
    data = bytearray((tmp_path / "m.h5").read_bytes())
    rng = np.random.default_rng(0)
    outcomes = set()
    for _ in range(60):
        damaged = bytearray(data)
        start = int(rng.integers(0, len(data) - 64))
        damaged[start:start + 32] = rng.integers(0, 256, 32, dtype=np.uint8).tobytes()
        (tmp_path / "d.h5").write_bytes(damaged)
        try:
            mk.load_model(tmp_path / "d.h5")
            outcomes.add("loaded")
        except ModelFileError:
            outcomes.add("refused")
    assert "refused" in outcomes


def _tamper(path, edit):
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config)
        f.attrs["model_config"] = json.dumps(config)


def test_tampered_layer_class_is_refused_and_runs_nothing(tmp_path):
    path = tmp_path / "m.h5"
    marker = tmp_path / "pwned"
    _model().save(path)

    def edit(config):
        config["layers"][0] = {"class_name": "os.system", "config": {"command": f"touch {marker}"}}

    _tamper(path, edit)
    with pytest.raises(ModelFileError, match="Unknown layer 'os.system'"):
        mk.load_model(path)
    assert not marker.exists()


def test_tampered_layer_size_is_refused(tmp_path):
    path = tmp_path / "m.h5"
    _model().save(path)
    _tamper(path, lambda c: c["layers"][0]["config"].update(units=10 ** 15))
    with pytest.raises(ModelFileError, match="declares more bytes of weights than the file can hold"):
        mk.load_model(path)


def test_tampered_initializer_and_optimizer_names_are_refused(tmp_path):
    path = tmp_path / "m.h5"
    _model().save(path)
    _tamper(path, lambda c: c["layers"][0]["config"]["kernel_initializer"].update(class_name="eval"))
    with pytest.raises(ModelFileError, match="Unknown initializer 'eval'"):
        mk.load_model(path)
    _model().save(path)
    with h5py.File(path, "r+") as f:
        compile_config = json.loads(f.attrs["compile_config"])
        compile_config["optimizer"]["class_name"] = "subprocess.Popen"
        f.attrs["compile_config"] = json.dumps(compile_config)
    with pytest.raises(ModelFileError, match="Unknown optimizer 'subprocess.Popen'"):
        mk.load_model(path)


def test_pickled_or_non_numeric_arrays_are_refused(tmp_path):
    path = tmp_path / "m.h5"
    _model().save(path)
    with h5py.File(path, "r+") as f:
        del f["weights/dense_1/kernel"]
        f["weights/dense_1/kernel"] = np.void(b"\x80\x04cos\nsystem\n")  # an opaque blob, e.g. a pickle
    with pytest.raises(ModelFileError, match="non-numeric"):
        mk.load_model(path)


def test_failed_save_leaves_the_previous_file_byte_identical(tmp_path, monkeypatch):
    path = tmp_path / "m.h5"
    model = _model()
    model.save(path)
    original = path.read_bytes()
    model.fit(*blobs(), epochs=1, verbose=0)

    def fail_halfway(f, model):
        f.create_group("weights")
        raise OSError("disk full")

    monkeypatch.setattr(hdf5, "_write_weights", fail_halfway)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]  # no temporary file left behind


def test_saved_file_gets_normal_permissions(tmp_path):
    _model().save(tmp_path / "m.h5")
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "m.h5").stat().st_mode & 0o777 == 0o666 & ~umask


@mk.register_layer
class Doubler(layers.Layer):
    """A user layer: y = factor * x."""

    def __init__(self, factor=2.0, name=None):
        super().__init__(name)
        self.factor = factor

    def forward(self, x, training=False):
        return x * self.factor

    def backward(self, grad_out):
        return grad_out * self.factor

    def get_config(self):
        return {"factor": self.factor, "name": self.name}


def test_registered_custom_layer_saves_and_loads(tmp_path):
    model = mk.Model(input_dim=4, seed=0, layers=[layers.Dense(3), Doubler(3.0), layers.Softmax()])
    model.compile()
    model.save(tmp_path / "custom.h5")
    loaded = mk.load_model(tmp_path / "custom.h5")
    assert isinstance(loaded.layers[1], Doubler) and loaded.layers[1].factor == 3.0
    x = np.ones((2, 4), dtype="float32")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_uncompiled_model_round_trip(tmp_path):
    model = mk.Model(input_dim=3, seed=0)
    model.add_layer(2, "softmax")
    model.save(tmp_path / "u.h5")
    loaded = mk.load_model(tmp_path / "u.h5")
    assert not loaded.compiled
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("model_v*.h5")), ids=lambda p: p.name)
def test_every_committed_format_version_still_loads(fixture):
    expected = np.load(fixture.with_name(fixture.stem + "_expected.npz"))
    model = mk.load_model(fixture)
    np.testing.assert_allclose(model.predict(expected["x"]), expected["predictions"], rtol=1e-6)
    model.fit(expected["x"], expected["y"], epochs=1, verbose=0)  # and can keep training


def test_fixture_exists_for_the_current_format():
    assert (FIXTURES / f"model_v{hdf5.FORMAT_VERSION}.h5").exists()


def test_cli_inspect(tmp_path, capsys):
    from minikeras.cli import main
    model = _model()
    model.fit(*blobs(), epochs=2, batch_size=50, verbose=0)
    model.save(tmp_path / "m.h5")
    assert main(["inspect", str(tmp_path / "m.h5")]) == 0
    out = capsys.readouterr().out
    assert "Epochs completed: 2" in out and "Updates done: 12" in out and "CyclicLR(" in out
    assert "dense_1 (Dense)" in out
    (tmp_path / "bad.h5").write_bytes(b"nope")
    assert main(["inspect", str(tmp_path / "bad.h5")]) == 2
    assert "not a readable HDF5 file" in capsys.readouterr().err
