"""Layer, model and weight names: strings without '/' or control characters, checked where they
are given and where files are read, and printed as text (never as rich markup)."""
import json
import zipfile

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers

BAD_NAMES = ["a//b", "/abs", "a/", "a/./b", "", "\x1b[31mred", "tab\there", 5, ["x"], {"a": 1}, "x" * 10_000 + "/"]


@pytest.mark.parametrize("name", BAD_NAMES, ids=range(len(BAD_NAMES)))
def test_bad_layer_and_model_names_are_refused_where_given(name):
    with pytest.raises(ValueError, match="name must be a non-empty string without '/' or control characters") as info:
        layers.Dense(3, name=name)
    assert len(str(info.value)) < 300  # a huge name is not echoed whole
    with pytest.raises(ValueError, match="A model name must be"):
        mk.Sequential(name=name)
    dense = layers.Dense(3)
    with pytest.raises(ValueError, match="A layer name must be"):
        dense.name = name


def test_a_name_with_markup_prints_as_text():
    model = mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2, name="[italic]"), layers.Dense(1, name="[bold]x")],
                          name="[red]m")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert '[red]m' in text and "[italic] (Dense)" in text and "[bold]x (Dense)" in text


def _keras_file_with(tmp_path, change):
    model = mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2)], seed=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    change(config["config"]["layers"][1]["config"])
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return tmp_path / "bad.keras"


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(name="a/b"), "A layer name must be"),
    (lambda c: c.update(name=7), "A layer name must be"),
    (lambda c: c.update(trainable="false"), "trainable must be True or False"),
])
def test_a_keras_file_with_a_bad_name_or_flag_is_refused(tmp_path, change, message):
    with pytest.raises(mk.ModelFileError, match=message):
        mk.load_model(_keras_file_with(tmp_path, change))


def test_good_names_still_save_and_load(tmp_path):
    model = mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2, name="dense.v2-é")], seed=0, name="my model")
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5")
    assert loaded.layers[0].name == "dense.v2-é" and loaded.name == "my model"
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])
