"""Layers written Keras' way (`minikeras.layers.calls`): build, weights, sublayers, losses, the
training flag, the tape in the engine, and the gradient check of models mixing them with
built-in layers."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, ops, tape


class Scale(layers.Layer):
    """One weight per feature, built from Keras' input shape."""

    def build(self, input_shape):
        self.seen_shape = input_shape
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")

    def call(self, inputs):
        return inputs * self.scale


class Block(layers.Layer):
    """Sublayers in attributes, a list and a dict; one built-in layer called twice."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = Scale()
        self.stack = [layers.Dense(4, activation="tanh"), Scale()]
        self.by_name = {"out": layers.Dense(2)}
        self.shared = layers.Dense(4, activation="sigmoid")

    def call(self, inputs, training=None):
        x = self.first(inputs)
        x = self.stack[1](self.stack[0](x))
        x = self.shared(x) + self.shared(ops.tanh(x))  # the same Dense twice in one call
        return self.by_name["out"](x)


class Penalty(layers.Layer):
    def __init__(self, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.sum(ops.square(inputs)))
        return inputs


def test_build_gets_keras_input_shape_and_weights_are_tracked():
    layer = Scale()
    out = layer(np.ones((3, 5), dtype="float32"))
    assert layer.seen_shape == (None, 5) and layer.built
    assert isinstance(out, np.ndarray) and out.shape == (3, 5)
    assert layer.weights == [layer.scale] and layer.weight_names() == ["scale"]


def test_sublayers_in_attributes_lists_and_dicts_give_unique_weight_keys():
    block = Block()
    block(np.ones((2, 3), dtype="float32"))
    names = block.weight_names()
    assert names == ["first/scale", "stack/0/kernel", "stack/0/bias", "stack/1/scale", "by_name/out/kernel",
                     "by_name/out/bias", "shared/kernel", "shared/bias"]
    assert len(set(names)) == len(names) and block.count_params() == 3 + 16 + 4 + 10 + 20


def test_add_loss_is_reset_at_each_call_and_collected_from_sublayers():
    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Penalty(0.5)

        def call(self, inputs):
            self.add_loss(ops.mean(inputs))
            return self.inner(inputs)

    outer = Outer()
    assert outer.losses == []
    outer(np.ones((2, 2), dtype="float32"))
    outer(np.ones((2, 2), dtype="float32"))
    assert [float(loss) for loss in outer.losses] == [1.0, 2.0]


def test_the_training_flag_reaches_sublayers_that_are_not_given_one():
    seen = []

    class Probe(layers.Layer):
        def call(self, inputs, training=None):
            seen.append(training)
            return inputs

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def call(self, inputs, training=None):
            return self.probe(inputs)

    model = mk.Sequential([mk.Input((2,)), Outer(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen.clear()
    model.fit(np.ones((4, 2)), np.ones((4, 1)), batch_size=4, verbose=0)
    model.predict(np.ones((4, 2)), verbose=0)
    assert seen == [True, False]


@pytest.mark.parametrize("make", [
    lambda: mk.Sequential([mk.Input((3,)), Scale(), layers.Dense(4, activation="tanh"), Block(), Penalty(0.05),
                           layers.Dense(2)], dtype="float64", seed=0),
    lambda: _functional(),
])
def test_models_mixing_taped_and_built_in_layers_pass_the_gradient_check(make):
    model = make()
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(0)
    errors = model.check_gradients(rng.standard_normal((6, 3)), rng.standard_normal((6, 2)))
    assert len(errors) == len(model.trainable_weights) and max(errors.values()) < 1e-6


def _functional():
    inputs = mk.Input((3,))
    block = Block()
    h = block(Scale()(inputs))
    skip = layers.Dense(2)(inputs)
    outputs = layers.Add()([Penalty(0.02)(h), skip])
    return mk.Model(inputs, outputs, dtype="float64", seed=0)


def test_a_layer_used_twice_in_a_graph_sums_its_gradients():
    inputs = mk.Input((3,))
    scale = Scale()
    first = scale(inputs)
    second = scale(layers.Dense(3, activation="tanh")(first))
    model = mk.Model(inputs, layers.Dense(1)(layers.Add()([first, second])), dtype="float64", seed=0)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    assert max(model.check_gradients(rng.standard_normal((5, 3)), rng.standard_normal((5, 1))).values()) < 1e-6


def test_seeded_models_of_custom_layers_start_from_the_same_weights():
    def make():
        model = mk.Sequential([mk.Input((3,)), Block()], seed=3)
        model.build()
        return model.get_weights()

    for first, second in zip(make(), make()):
        np.testing.assert_array_equal(first, second)


def test_inference_records_nothing_and_training_records_a_tape():
    model = mk.Sequential([mk.Input((3,)), Block()], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    step = model.layers[0]
    model.predict(np.ones((2, 3)), verbose=0)
    assert step._taped is None and tape.current() is None
    model.train_on_batch(np.ones((2, 3)), np.ones((2, 2)))
    recording, *_ = step._taped
    assert recording.tensors and tape.current() is None


def test_compute_output_shape_is_used_when_given():
    class Widen(layers.Layer):
        def call(self, inputs):
            return ops.concatenate([inputs, inputs], axis=-1)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], 2 * input_shape[-1])

    outputs = Widen()(mk.Input((3,)))
    assert outputs.shape == (None, 6)


def test_clear_errors():
    class Nothing(layers.Layer):
        pass

    with pytest.raises(NotImplementedError, match="defines neither call"):
        mk.Sequential([mk.Input((2,)), Nothing()]).predict(np.ones((1, 2)), verbose=0)

    class Pair(layers.Layer):
        def call(self, inputs):
            return inputs, inputs

    with pytest.raises(ValueError, match="returned 2 tensors from call; a layer of a Sequential or functional model"):
        mk.Sequential([mk.Input((2,)), Pair()])
    with pytest.raises(TypeError, match="Unrecognized keyword arguments passed to Scale"):
        Scale(units=3)
    with pytest.raises(ValueError, match="activity_regularizer is not supported"):
        Scale(activity_regularizer="l2")


def test_numpy_ufuncs_on_tracked_tensors_run_the_op_or_are_refused():
    with tape.recording() as recording:
        leaf = tape.watch(np.array([1.0, 2.0]))
        y = ops.sum(np.exp(leaf))
        grads = recording.gradients([(y, np.ones(()))])
        np.testing.assert_allclose(grads[id(leaf)], np.exp([1.0, 2.0]))
        with pytest.raises(TypeError, match="use minikeras.ops"):
            np.add.reduce(leaf)


def test_built_in_sublayers_of_the_first_layer_get_gradients_at_every_step():
    """The first layer's input is a constant of the tape (no input gradient is computed for it): a
    built-in sublayer reading it still trains, at the first step and every later one."""
    class Head(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(4, activation="tanh")

        def call(self, inputs):
            return self.dense(inputs) * 2.0

    model = mk.Sequential([mk.Input((3,)), Head(), layers.Dense(1)], seed=0, dtype="float64")
    model.compile(optimizer="sgd", loss="mse")
    engine = model.engine
    data = engine.dataset(np.ones((4, 3)), np.zeros((4, 1)))
    first, again = [], []
    for grads in (first, again):
        engine.compute_gradients(data.x, data.targets, data.weights)
        grads.extend(g.copy() for g in engine.gradients())
    assert np.abs(first[0]).max() > 0
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
