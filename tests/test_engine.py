"""The training engine: packed arrays, penalties, the fused loss, one step, and gradients that cannot be lost."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, losses, optimizers, regularizers
from minikeras.engine import Engine
from tests.conftest import blobs


def _built(*stack, input_dim=3, dtype="float64"):
    rng = np.random.default_rng(0)
    shape = (input_dim,)
    for layer in stack:
        layer.name = layer.name or type(layer).__name__.lower()
        layer.build(shape, rng, dtype)
        shape = layer.output_shape(shape)
    return list(stack)


def test_the_engine_keeps_the_variables_and_their_gradients_by_name():
    stack = _built(layers.Dense(4), layers.BatchNorm(), layers.ReLU(), layers.Dense(2))
    kernel = stack[0].kernel
    kernel_before = kernel.numpy()
    engine = Engine(stack, "float64")
    assert [v.path for v in engine.trainable_variables] == ["dense/kernel", "dense/bias", "batchnorm/gamma",
                                                            "batchnorm/beta", "dense/kernel", "dense/bias"]
    assert engine.trainable_variables[0] is kernel
    np.testing.assert_array_equal(kernel.value, kernel_before)  # the value survives moving into the store
    owners = [stack[0], stack[0], stack[1], stack[1], stack[3], stack[3]]
    for owner, variable, gradient in zip(owners, engine.trainable_variables, engine.gradients()):
        assert owner.grads[variable.name] is gradient and gradient.shape == variable.shape
    kernel.assign(np.full((3, 4), 0.5))
    np.testing.assert_array_equal(stack[0].forward(np.ones((1, 3))), [[1.5, 1.5, 1.5, 1.5]])


def test_the_penalty_and_its_gradient_are_the_engines():
    dense = _built(layers.Dense(2, kernel_regularizer=regularizers.L2(0.5), bias_initializer="ones"))[0]
    engine = Engine([dense], "float64")
    kernel = dense.params["kernel"]
    assert engine.penalty() == pytest.approx(0.5 * np.sum(kernel ** 2))
    dense.forward(np.zeros((1, 3)), training=True)
    engine.backward(np.zeros((1, 2)))
    np.testing.assert_array_equal(dense.grads["kernel"], 0)
    engine.add_penalty_gradients()
    np.testing.assert_allclose(dense.grads["kernel"], 2 * 0.5 * kernel)
    np.testing.assert_array_equal(dense.grads["bias"], 0)


def test_train_step_is_compute_gradients_then_one_update():
    x, y = blobs(n=20, dim=3)
    model = mk.Model(input_dim=3, seed=0, dtype="float64")
    model.add_layer(4, "relu", l2=0.01)
    model.add_layer(3, "softmax")
    model.compile(optimizer=optimizers.SGD(0.1))
    engine = model.engine
    data = engine.dataset(x, y)
    before = model.get_weights()
    data_loss, _ = engine.loss_and_metrics(data.x, data.targets, data.weights, training=True)
    loss = engine.compute_gradients(data.x, data.targets, data.weights)
    assert loss == float(data_loss + engine.penalty()) and engine.penalty() > 0
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    gradients = [g.copy() for g in engine.gradients()]
    assert engine.apply_gradients() == 0.1
    for a, b, g in zip(model.get_weights(), before, gradients):
        np.testing.assert_allclose(a, b - 0.1 * g)


def test_the_loss_declares_what_it_fuses_with():
    stack = _built(layers.Dense(3), layers.Softmax())
    assert Engine(stack, "float64", losses.CategoricalCrossentropy()).fused
    assert not Engine(stack, "float64", losses.MeanSquaredError()).fused
    assert not Engine(_built(layers.Dense(3), layers.Sigmoid()), "float64", losses.CategoricalCrossentropy()).fused


def test_a_loss_written_to_the_base_contract_trains():
    class HalfSquares(losses.Loss):
        name = "half_squares"

        def prepare_targets(self, y, n_outputs, dtype):
            return losses.dense_targets(losses.prepare_targets(y, n_outputs, dtype), n_outputs, dtype)

        def value_and_gradient(self, output, targets, sample_weight=None):
            diff = output - targets
            return 0.5 * np.mean(np.sum(diff ** 2, axis=1)), diff / len(diff)

    x, y = blobs(n=60, dim=3)
    model = mk.Model(input_dim=3, seed=0)
    model.add_layer(8, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer="adam", loss=HalfSquares(), metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_a_loss_that_declares_logits_must_take_them():
    class Claims(losses.Loss):
        logits_of = "softmax"

        def value_and_gradient(self, output, targets, sample_weight=None):
            raise AssertionError

    with pytest.raises(TypeError, match="Claims declares logits_of='softmax', so its value_and_gradient must accept "
                                        "from_logits"):
        losses.registry.add(Claims)
    assert "Claims" not in losses.registry.names()


def test_a_layer_without_backward_cannot_be_registered():
    class ForwardOnly(layers.Layer):
        def forward(self, x, training=False):
            return x

    with pytest.raises(TypeError, match="ForwardOnly cannot be registered as a layer: it does not implement backward"):
        mk.register_layer(ForwardOnly)


# -- gradients that cannot be lost ------------------------------------------------------------------
@mk.register_layer
class AssigningScale(layers.Layer):
    """numpy-ml style: backward assigns a *new* gradient array instead of writing into the old one."""

    def build(self, input_shape, rng, dtype="float32"):
        super().build(input_shape, rng, dtype)
        self.add_weight(input_shape, "ones", name="w")

    def forward(self, x, training=False):
        self._x = x
        return x * self.params["w"]

    def backward(self, grad_out):
        self.grads["w"] = (grad_out * self._x).sum(axis=0)  # a new array: copied into the engine's view
        return grad_out * self.params["w"]


class InPlaceScale(AssigningScale):
    def backward(self, grad_out):
        np.sum(grad_out * self._x, axis=0, out=self.grads["w"])
        return grad_out * self.params["w"]


class WholeDictScale(AssigningScale):
    def backward(self, grad_out):
        self.grads = {"w": (grad_out * self._x).sum(axis=0)}
        return grad_out * self.params["w"]


def _trained(scale_layer):
    x, y = blobs(n=90, dim=4)
    model = mk.Sequential(input_dim=4, seed=0, layers=[scale_layer, layers.Dense(3), layers.Softmax()])
    model.compile(optimizer=optimizers.SGD(0.1, momentum=0.9))
    model.fit(x, y, epochs=2, batch_size=30, verbose=0)
    return model


@pytest.mark.parametrize("layer_class", [AssigningScale, WholeDictScale])
def test_a_layer_that_assigns_a_new_gradient_array_trains_like_one_that_writes_in_place(layer_class):
    assigned, in_place = _trained(layer_class()), _trained(InPlaceScale())
    assert not np.array_equal(assigned.layers[0].params["w"], np.ones(4))
    for a, b in zip(assigned.get_weights(), in_place.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_check_gradients_sees_an_assigned_gradient():
    x, y = blobs(n=12, dim=4, dtype="float64")
    model = mk.Sequential(input_dim=4, seed=0, dtype="float64",
                          layers=[AssigningScale(), layers.Dense(3), layers.Softmax()])
    model.compile(optimizer="sgd")
    assert max(model.check_gradients(x, y).values()) < 1e-6


def test_a_gradient_of_another_shape_is_a_clear_error():
    class WrongShape(AssigningScale):
        def backward(self, grad_out):
            self.grads["w"] = (grad_out * self._x)  # forgot the sum over the batch
            return grad_out

    with pytest.raises(ValueError, match=r"Layer 'wrong_shape' \(WrongShape\) grads\['w'\] must have its weight's "
                                         r"shape "
                                         r"\(4,\); got ndarray of shape \(30, 4\)"):
        _trained(WrongShape())


def test_params_are_read_only_and_say_how_to_change_a_weight():
    model = _trained(AssigningScale())
    layer = model.layers[0]
    with pytest.raises(TypeError, match=r"layer 'assigning_scale' \(AssigningScale\) params is read-only: declare "
                                        r"weights with self.add_weight"):
        layer.params["v"] = np.ones(4)
    with pytest.raises(TypeError, match="read-only"):
        del layer.state["w"]


def test_assigning_a_variable_after_compile_changes_what_the_model_computes():
    model = _trained(AssigningScale())
    x = np.ones((2, 4), "float32")
    before = model.predict(x, verbose=0)
    model.weights[0].assign(np.full(4, 3.0))
    np.testing.assert_array_equal(model.get_weights()[0], 3.0)
    assert not np.allclose(model.predict(x, verbose=0), before)
    model.fit(*blobs(n=30, dim=4), epochs=1, verbose=0)  # and training goes on from the assigned value
    assert not np.array_equal(model.get_weights()[0], 3.0)
