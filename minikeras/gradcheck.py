"""Numerical gradient checking: analytic gradients vs centered finite differences."""
from __future__ import annotations

import copy

import numpy as np

from .layers.dropout import Dropout


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    """``|a - n| / max(|a| + |n|, 1e-6)`` entrywise."""
    return np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-6)


def _wide_copy(model):
    """The same network in the widest float (x86: 80-bit long double), with the same weights,
    dropout switched off and the same loss: rebuilt from its config, or (a model with layers
    written Keras' way, which may have none) a deep copy whose weights the engine widens."""
    if any(layer.written_with_call for layer in model.leaf_layers()):
        return _widened_deep_copy(model)
    config = model.get_config()
    config["dtype"] = np.dtype(np.longdouble).name
    for layer_config in config["layers"]:
        if layer_config["class_name"] == Dropout.__name__:
            layer_config["config"]["rate"] = 0.0
    clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    clone.compile(optimizer="sgd", loss=model.loss or "categorical_crossentropy")
    return clone


def _widened_deep_copy(model):
    clone = copy.deepcopy(model)
    wide = np.dtype(np.longdouble)
    clone.dtype = wide
    for layer in _every_layer(clone.leaf_layers()):
        layer.dtype = wide
        if isinstance(layer, Dropout):
            layer.rate = 0.0
    clone.compile(optimizer="sgd", loss=model.loss)
    return clone


def _every_layer(layers):
    """`layers`, their extra steps and, recursively, the layers they hold: sublayers of those
    written with ``call`` (a subclassed model's attributes), the layers of models among them."""
    for layer in layers:
        yield layer
        yield from layer.steps()[1:]  # a Dense's activation
        if hasattr(layer, "leaf_layers"):  # a model held by a layer or a subclassed model
            yield from _every_layer(layer.leaf_layers())
        elif layer.written_with_call:
            yield from _every_layer(layer.tracked_layers())


def check_gradients(model, x, y, epsilon: float = 1e-6, max_entries: int | None = None,
                    sample_weight=None, seed: int = 0) -> dict[str, float]:
    """Compare the analytic gradient of every trainable array with centered differences.

    The loss is the full training loss (data loss + regularization) on ``(x, y)`` in training
    mode: BatchNorm uses batch statistics, dropout is switched off. The check runs on a copy
    of the model in the widest float numpy has (80-bit long double on x86, float64 where that
    is all there is), so the model itself (weights, moving averages, optimizer) is left
    untouched, and the rounding noise of the differences, about ``eps * J / h``, stays far
    below the errors it is meant to find even where the true gradient is 0 (the bias of a
    Dense layer followed by BatchNorm).

    Parameters
    ----------
    epsilon : float
        Step ``h`` of ``(J(w + h) - J(w - h)) / (2 h)``.
    max_entries : int, optional
        Check at most this many entries of each array, drawn at random with `seed`
        (all entries when None).

    Returns
    -------
    dict
        ``{"layer_name/param_name": max over checked entries of |a - n| / max(|a| + |n|, 1e-6)}``.
    """
    if not epsilon > 0:
        raise ValueError(f"epsilon must be > 0; got {epsilon!r}.")
    if not model.built:
        model.build(getattr(model, "sample_shape", None) or np.shape(x)[1:])
    engine = _wide_copy(model).engine
    data = engine.dataset(x, y, sample_weight)

    def loss_value():
        # Kept in the wide float (not rounded to a Python float): the differences need its digits.
        loss, _ = engine.loss_and_metrics(data.x, data.targets, data.weights, training=True)
        return loss + engine.penalty() + engine.added_loss()

    engine.compute_gradients(data.x, data.targets, data.weights)
    rng = np.random.default_rng(seed)
    errors = {}
    for name, variable, gradient in zip(engine.trainable_variable_names, engine.trainable_variables,
                                        engine.gradients()):
        flat, analytic = variable.value.reshape(-1), gradient.reshape(-1).copy()
        entries = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            entries = rng.choice(flat.size, size=max_entries, replace=False)
        numeric = np.array([_centered_difference(loss_value, flat, i, epsilon) for i in entries])
        errors[name] = float(relative_error(analytic[entries], numeric).max())
    return errors


def _centered_difference(loss_value, flat: np.ndarray, i: int, epsilon: float) -> float:
    original = flat[i]
    flat[i] = original + epsilon
    plus = loss_value()
    flat[i] = original - epsilon
    minus = loss_value()
    flat[i] = original
    return (plus - minus) / (2.0 * epsilon)
