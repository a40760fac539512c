"""Regenerate the format fixture: ``python -m tests.saving.make_fixture``.

Writes fixtures/model_v{FORMAT_VERSION}.h5 (a small trained model with BatchNorm, dropout,
SGD + momentum and a cyclical rate) and fixtures/model_v{N}_expected.npz (inputs and the
predictions the model made when it was written). Only run it when the format version changes:
old fixtures stay, so that every version ever written keeps loading.
"""
import pathlib

import numpy as np

import minikeras as mk
from minikeras.saving import FORMAT_VERSION

HERE = pathlib.Path(__file__).resolve().parent / "fixtures"


def build_fixture_model():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5)
    model = mk.Model(input_dim=6, seed=0)
    model.add_layer(8, "relu", batch_norm=True, dropout=0.25, l2=0.001)
    model.add_layer(3, "softmax")
    model.compile(optimizer=mk.optimizers.SGD(mk.schedules.CyclicLR(1e-3, 1e-1, step_size=4), momentum=0.9),
                  metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    return model, x, y


def main():
    model, x, y = build_fixture_model()
    model.save(HERE / f"model_v{FORMAT_VERSION}.h5")
    np.savez(HERE / f"model_v{FORMAT_VERSION}_expected.npz", x=x, y=y, predictions=model.predict(x))


if __name__ == "__main__":
    main()
