"""Ctrl-C during fit stops at a batch boundary: a real SIGINT sent to a training subprocess while a
step runs leaves exactly the state of a run stopped after the same number of whole updates."""
import json
import pathlib
import re
import signal
import subprocess
import sys
import textwrap

import h5py
import numpy as np

import minikeras as mk

ROOT = pathlib.Path(__file__).resolve().parent.parent

SETUP = """
import time
import numpy as np
import minikeras as mk

@mk.register_layer
class Pause(mk.layers.Layer):
    # Identity; at its `pause_at`-th training call it says so and waits a second for a SIGINT.
    calls, pause_at = 0, None

    def forward(self, x, training=False):
        if training:
            Pause.calls += 1
            if Pause.calls == Pause.pause_at:
                print("waiting", flush=True)
                time.sleep(1.0)  # the SIGINT arrives here, in the middle of a step
        return x

    def backward(self, grad_out):
        return grad_out

def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((240, 6)).astype("float32")
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)

def model():
    m = mk.Sequential([mk.Input(shape=(6,)), Pause(), mk.layers.Dense(16), mk.layers.BatchNormalization(),
                       mk.layers.Activation("relu"), mk.layers.Dropout(0.3), mk.layers.Dense(3, activation="softmax")],
                      seed=5)
    m.compile(optimizer=mk.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m
"""

CHILD = SETUP + """
import sys
Pause.pause_at = 17
x, y = data()
m = model()
m.fit(x, y, epochs=5, batch_size=20, verbose=0)
m.save(sys.argv[1])
print("updates", m.optimizer.iterations, "epochs", m.epoch, flush=True)
"""


def test_a_real_sigint_stops_at_a_batch_boundary(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "interrupted.h5")], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "waiting"
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert "Training interrupted after a whole batch" in out
    counts = re.search(r"^updates (\d+) epochs (\d+)$", out, flags=re.M)
    updates = int(counts.group(1))
    assert updates == 17 and counts.group(2) == "1"  # 12 batches an epoch: stopped in the second, after batch 17

    namespace = {}
    exec(SETUP, namespace)
    x, y = namespace["data"]()
    reference = namespace["model"]()

    class StopAfter(mk.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            if self.model.optimizer.iterations == updates:
                self.model.stop_training = True

    reference.fit(x, y, epochs=5, batch_size=20, verbose=0, callbacks=[StopAfter()])
    interrupted = mk.load_model(tmp_path / "interrupted.h5")
    assert interrupted.epoch == reference.epoch == 1
    for a, b in zip(interrupted.get_weights(), reference.get_weights()):  # BatchNorm statistics included
        np.testing.assert_array_equal(a, b)
    reference.save(tmp_path / "reference.h5")
    with h5py.File(tmp_path / "interrupted.h5") as f, h5py.File(tmp_path / "reference.h5") as g:
        assert json.loads(f.attrs["training_state"]) == json.loads(g.attrs["training_state"])  # generator too
        for slot in ("m", "v"):
            for name in ("dense/kernel", "batch_normalization/gamma", "dense_1/bias"):
                np.testing.assert_array_equal(f[f"optimizer/{slot}/{name}"][()], g[f"optimizer/{slot}/{name}"][()])
    interrupted.fit(x, y, epochs=2, batch_size=20, verbose=0)  # and it continues as the reference does
    reference.fit(x, y, epochs=2, batch_size=20, verbose=0)
    for a, b in zip(interrupted.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_outside_fit_ctrl_c_is_an_ordinary_keyboard_interrupt():
    script = textwrap.dedent("""
        import os, signal
        import minikeras as mk
        try:
            os.kill(os.getpid(), signal.SIGINT)
        except KeyboardInterrupt:
            print("raised")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "raised"
