"""Every public name of Keras 3's training catalogue exists in minikeras, or "Coming from Keras"
says why not (docs/coming-from-keras.md)."""
import pathlib

import pytest

import minikeras as mk
from minikeras.optimizers import schedules

keras = pytest.importorskip("keras")

DIFFERENCES = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "coming-from-keras.md").read_text()
MODULES = {  # Keras module -> ours
    "optimizers": (keras.optimizers, mk.optimizers),
    "optimizers.schedules": (keras.optimizers.schedules, schedules),
    "activations": (keras.activations, mk.activations),
    "initializers": (keras.initializers, mk.initializers),
    "regularizers": (keras.regularizers, mk.regularizers),
    "callbacks": (keras.callbacks, mk.callbacks),
}
ISSUE_LAYERS = ["Dense", "Activation", "BatchNormalization", "LayerNormalization", "Dropout", "GaussianNoise",
                "GaussianDropout", "AlphaDropout", "Rescaling", "Normalization", "Identity", "ReLU", "LeakyReLU",
                "PReLU", "ELU", "Softmax", "Flatten", "Reshape", "Input", "InputLayer"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_keras_name_exists_or_has_a_row(module):
    theirs, ours = MODULES[module]
    missing = [name for name in dir(theirs) if not name.startswith("_") and not hasattr(ours, name)]
    unexplained = [name for name in missing
                   if f"`{name}`" not in DIFFERENCES and f"`{module}.{name}`" not in DIFFERENCES]
    assert not unexplained, f"keras.{module} names with neither an implementation nor a row: {unexplained}"


def test_the_layers_of_the_catalogue_exist_in_keras_and_here():
    assert [name for name in ISSUE_LAYERS if not hasattr(keras.layers, name)] == []
    assert [name for name in ISSUE_LAYERS if not hasattr(mk.layers, name)] == []
