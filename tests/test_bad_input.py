"""Every bad input of the public API (docs/api) gives a ValueError/TypeError saying what was expected and given."""
import numpy as np
import pytest

import minikeras as mk
from tests.conftest import blobs


@pytest.fixture
def model():
    model = mk.Model(input_dim=5, seed=0)
    model.add_layer(4, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer="sgd", metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    return blobs(n=20)


def test_wrong_input_width(model, data):
    x, y = data
    with pytest.raises(ValueError, match=r"x must have shape \(N, 5\).*got shape \(20, 6\)"):
        model.fit(np.ones((20, 6), dtype="float32"), y, verbose=0)
    with pytest.raises(ValueError, match=r"\(N, 5\).*got shape \(5,\)"):
        model.predict(np.ones(5))


def test_wrong_label_shape(model, data):
    x, _ = data
    with pytest.raises(ValueError, match=r"one-hot/targets of shape \(N, 3\); got shape \(20, 4\)"):
        model.fit(x, np.zeros((20, 4)), verbose=0)


def test_labels_out_of_range(model, data):
    x, y = data
    with pytest.raises(ValueError, match=r"class ids in \[0, 3\).*ids from 0 to 7"):
        model.fit(x, np.where(y == 2, 7, y), verbose=0)


def test_fit_before_compile(data):
    x, y = data
    model = mk.Model(input_dim=5)
    model.add_layer(3, "softmax")
    with pytest.raises(ValueError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ValueError, match="compile"):
        model.evaluate(x, y)


def test_mismatched_lengths(model, data):
    x, y = data
    with pytest.raises(ValueError, match="x has 20 samples but y has 19"):
        model.fit(x, y[:-1], verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(20,\)"):
        model.fit(x, y, sample_weight=np.ones(3), verbose=0)


@pytest.mark.parametrize("make, error, message", [
    (lambda m: m.add_layer(3, "swiss"), ValueError, "Unknown activation 'swiss'. Expected one of"),
    (lambda m: m.add_layer(3, "relu", kernel_initializer="orthogonl"), ValueError, "Unknown initializer 'orthogonl'"),
    (lambda m: m.compile(optimizer="adagard"), ValueError, "Unknown optimizer 'adagard'. Expected one of"),
    (lambda m: m.compile(loss="hinje"), ValueError, "Unknown loss 'hinje'"),
    (lambda m: m.compile(metrics=["acurracy"]), ValueError, "Unknown metric 'acurracy'"),
    (lambda m: m.add("dense"), TypeError, "expects a Layer instance"),
    (lambda m: m.add_layer(3, 42), TypeError, "Expected a layer name"),
])
def test_unknown_names(model, make, error, message):
    with pytest.raises(error, match=message):
        make(model)


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size must be a positive integer"),
    ({"epochs": "10"}, "epochs must be a non-negative integer; got '10'"),
    ({"initial_epoch": -1}, "initial_epoch must be a non-negative integer"),
    ({"validation_split": 1.5}, r"validation_split must be a fraction in \[0, 1\)"),
    ({"validation_split": 0.2, "validation_split_mode": "first"}, "Unknown validation_split_mode 'first'"),
    ({"validation_data": ([1, 2],)}, "validation_data must be a tuple"),
    ({"class_weight": "auto"}, "class_weight must be a dict or 'balanced'"),
    ({"class_weight": {5: 1.0}}, r"class_weight keys must be class ids in \[0, 3\)"),
    ({"sample_weight": -np.ones(20)}, r"sample_weight must hold values >= 0; got -1.0 at row 0"),
    ({"sample_weight": np.r_[np.ones(19), np.nan]}, r"sample_weight holds nan at row 19"),
])
def test_bad_fit_arguments(model, data, kwargs, message):
    x, y = data
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, verbose=0, **kwargs)


def test_validation_data_is_checked_like_training_data(model, data):
    x, y = data
    with pytest.raises(ValueError, match=r"validation x must have shape \(N, 5\)"):
        model.fit(x, y, validation_data=(np.ones((4, 2)), y[:4]), verbose=0)


def test_non_numeric_inputs(model, data):
    _, y = data
    with pytest.raises(TypeError, match="x must be a numpy array"):
        model.fit("pixels", y, verbose=0)
    with pytest.raises(TypeError, match="must hold numbers"):
        model.predict(np.array([["a"] * 5]))


def test_bad_model_arguments():
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        mk.Model(dtype="float16")
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        mk.Model(input_dim=0)
    with pytest.raises(ValueError, match="seed must be a non-negative integer|A seed must be"):
        mk.Model(seed=-1)
    with pytest.raises(ValueError, match="no layers"):
        mk.Model(input_dim=3).predict(np.ones((1, 3)))


def test_shape_errors_name_the_layer_and_add_nothing():
    model = mk.Model(input_dim=(2, 3))
    with pytest.raises(ValueError, match=r"Layer 0 \(reshape\).*Cannot reshape samples of shape \(2, 3\)"):
        model.add(mk.layers.Reshape((5,)))
    assert model.layers == []
    model.add(mk.layers.Flatten())
    model.add_layer(4, "softmax")
    assert model.predict(np.ones((1, 2, 3))).shape == (1, 4)


@pytest.mark.parametrize("call, error, message", [
    (lambda m, x, y: m.fit(x, y, validation_split=np.array([0.1, 0.2]), verbose=0), ValueError,
     r"validation_split must be a fraction in \[0, 1\); got array"),
    (lambda m, x, y: m.fit(x, y, validation_split=1.5, verbose=0), ValueError, "validation_split must be a fraction"),
    (lambda m, x, y: m.fit(x, {"a": y}, verbose=0), TypeError, "labels of x must be a numpy array; got dict"),
    (lambda m, x, y: m.fit(x, y, sample_weight={0: 1.0}, verbose=0), TypeError,
     "sample_weight must be an array of numbers, one per sample; got dict"),
])
def test_api_values_of_the_wrong_kind_say_what_was_expected(call, error, message):
    import minikeras as mk
    model = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2, activation="softmax")], seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(error, match=message):
        call(model, np.ones((4, 3), "float32"), np.array([0, 1, 0, 1]))
