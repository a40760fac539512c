"""End-to-end: three interleaved spirals, a problem no linear model can solve."""
import numpy as np

import minikeras as mk


def spirals(n_per_class: int, classes: int = 3, noise: float = 0.15, seed: int = 0):
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), classes)
    labels = np.repeat(np.arange(classes), n_per_class)
    angle = labels * 2 * np.pi / classes + 3.0 * np.pi * radius + rng.normal(0, noise, radius.size)
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x.astype("float32"), labels


def test_three_spirals_reach_95_percent_validation_accuracy():
    x, y = spirals(600)
    model = mk.Model(input_dim=2, seed=0)
    model.add_layer(64, "relu", batch_norm=True)
    model.add_layer(64, "relu", batch_norm=True)
    model.add_layer(3, "softmax")
    model.compile(optimizer=mk.optimizers.Adam(0.01), metrics=["accuracy"])
    history = model.fit(x, y, epochs=60, batch_size=64, validation_split=0.2, verbose=0)
    assert history.history["val_accuracy"][-1] >= 0.95, history.history["val_accuracy"][-5:]
