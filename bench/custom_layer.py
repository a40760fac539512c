"""A Dense written Keras' way (a `call` of ops, differentiated by the tape) against the built-in
Dense (explicit backward): the same MLP, the same data and optimizer, epochs of each taken in
turns in one run; the ratio is what the tape costs a layer written that way.

    python -m bench --only "custom Dense"
"""
from __future__ import annotations

import statistics

import numpy as np

import minikeras as mk
from bench.timing import alternate, timed
from minikeras import layers, ops

NAME = "custom Dense (ops + tape) vs built-in Dense, MNIST 784-256-10, batch 128"
WIDTHS, BATCH = (784, 256, 10), 128


class OpsDense(mk.layers.Layer):
    """$y = \\operatorname{act}(x W + b)$ written with ops, as Keras' guide writes a Dense."""

    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.activation = units, activation

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        y = ops.matmul(inputs, self.kernel) + self.bias
        return ops.relu(y) if self.activation == "relu" else y


def _model(dense) -> mk.Model:
    model = mk.Sequential([mk.Input((WIDTHS[0],)), dense(WIDTHS[1], activation="relu"), dense(WIDTHS[2]),
                           layers.Softmax()], seed=0)
    model.compile(optimizer=mk.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy")
    return model


def measure(repeats: int, samples: int) -> dict:
    """Median epoch seconds of both models and their ratio."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, WIDTHS[0]), dtype=np.float32)
    y = rng.integers(0, WIDTHS[-1], samples)
    built_in, custom = _model(layers.Dense), _model(OpsDense)
    custom.set_weights(built_in.get_weights())
    times = alternate({name: (lambda model=model: timed(model.fit, x, y, batch_size=BATCH, epochs=1, verbose=0))
                       for name, model in (("built_in", built_in), ("custom", custom))}, repeats, both_orders=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {"case": NAME, "samples": samples, "built_in_s": medians["built_in"], "custom_s": medians["custom"],
            "custom_vs_built_in": medians["custom"] / medians["built_in"], "epochs_s": times}
