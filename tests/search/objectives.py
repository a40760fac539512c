"""Module-level trial functions (picklable, so process and Dask workers can import them)."""
import numpy as np

import minikeras as mk


def tiny_training(params):
    """Train a small net on fixed blobs with the trial's l2 and seed; report validation scores."""
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((3, 4)) * 2
    y = rng.integers(0, 3, 120)
    x = (centers[y] + rng.standard_normal((120, 4))).astype("float32")
    model = mk.Model(input_dim=4, seed=params["seed"])
    model.add_layer(8, "relu", l2=params["l2"])
    model.add_layer(3, "softmax")
    model.compile(optimizer=mk.optimizers.SGD(0.1), metrics=["accuracy"])
    model.fit(x[:90], y[:90], epochs=3, batch_size=30, verbose=0)
    scores = model.evaluate(x[90:], y[90:], verbose=0, return_dict=True)
    return {"val_accuracy": scores["accuracy"], "val_loss": scores["loss"]}


def fails_for_large_l2(params):
    if params["l2"] > 0.01:
        raise RuntimeError("l2 too large for this test")
    return {"val_accuracy": 1.0 - params["l2"]}


def quadratic(params):
    """A smooth function of x with its maximum at x = 0.3."""
    return {"score": -(params["x"] - 0.3) ** 2}


def dies_or_hangs(params):
    """x = 1: the process exits at once (as a segfault or the OOM killer would end it); x = 2: a
    segfault; x = 3: hangs; else a result."""
    import ctypes
    import os
    import time

    if params["x"] == 1:
        os._exit(3)
    if params["x"] == 2:
        ctypes.string_at(0)
    if params["x"] == 3:
        time.sleep(600)
    return {"score": float(params["x"])}
