"""A training run for the BackupAndRestore tests, run as a subprocess:

    python backup_run.py [graph] BACKUP_DIR WEIGHTS_OUT SAVE_FREQ [PAUSE_EPOCH PAUSE_BATCH]

With a pause point it prints "paused" after that batch and sleeps, for the test to SIGKILL it.
With ``graph`` first, the model is a functional one of two inputs and two outputs.
"""
import sys
import time

import numpy as np

import minikeras as mk
from minikeras import layers


def build_model():
    model = mk.Sequential([layers.Input((20,)), layers.Dense(32, activation="relu"), layers.BatchNormalization(),
                           layers.Dropout(0.3), layers.Dense(3, activation="softmax")], seed=5)
    model.compile(optimizer=mk.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def build_graph():
    """Two inputs, a shared layer, dropout and batch normalization, two weighted outputs."""
    left, right = layers.Input((12,), name="left"), layers.Input((8,), name="right")
    shared = layers.Dense(16, activation="relu", name="shared")
    h = layers.Concatenate()([shared(layers.Dense(12)(right)), shared(left)])
    h = layers.Dropout(0.3)(layers.BatchNormalization()(h))
    classes = layers.Dense(3, activation="softmax", name="classes")(h)
    total = layers.Dense(1, name="total")(h)
    model = mk.Model([left, right], [classes, total], seed=5)
    model.compile(optimizer=mk.optimizers.Adam(1e-2), loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.2], metrics=[["accuracy"], ["mae"]])
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(500, 20)).astype("float32")
    return x, (x[:, :3].sum(axis=1) > 0).astype(int) + (x[:, 3] > 1)


class AtBatch(mk.callbacks.Callback):
    """Calls `action()` after batch `batch` of epoch `epoch`."""

    def __init__(self, epoch, batch, action):
        super().__init__()
        self.at, self.action, self.epoch = (epoch, batch), action, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.action()


def pause_forever():
    print("paused", flush=True)
    time.sleep(600)


def main(*args):
    graph = args[0] == "graph"
    backup_dir, weights_out, save_freq, *pause = args[1:] if graph else args
    x, y = data()
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    callbacks = [mk.callbacks.BackupAndRestore(backup_dir, save_freq=save_freq)]
    if pause:
        callbacks.insert(0, AtBatch(*map(int, pause), action=pause_forever))
    model = build_graph() if graph else build_model()
    if graph:
        x, y = [x[:, :12], x[:, 12:]], [y, x[:, :1] * 2]
    model.fit(x, y, batch_size=32, epochs=5, validation_split=0.2, callbacks=callbacks, verbose=0)
    np.savez(weights_out, *model.get_weights())


if __name__ == "__main__":
    main(*sys.argv[1:])
