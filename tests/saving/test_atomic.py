"""Saving never loses the old file: symlinks, killed saves' leftovers, full disks, Ctrl-C."""
import os
import subprocess
import sys

import pytest

import minikeras as mk


def _model(width=3):
    model = mk.Sequential([mk.Input(shape=(4,)), mk.layers.Dense(width, activation="softmax")], seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    return model


def test_a_symlinked_target_keeps_its_link_and_its_file_is_replaced(tmp_path):
    (tmp_path / "real").mkdir()
    _model().save(tmp_path / "real" / "m.h5")
    os.symlink(tmp_path / "real" / "m.h5", tmp_path / "link.h5")
    wider = _model(5)
    wider.save(tmp_path / "link.h5")
    assert os.path.islink(tmp_path / "link.h5")
    assert mk.load_model(tmp_path / "real" / "m.h5").output_shape == (None, 5)
    assert not [name for name in os.listdir(tmp_path / "real") if name.endswith(".tmp")]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_only_temporaries_of_a_killed_save_are_removed_by_the_next_save(tmp_path):
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [f".m.h5.minikeras-{_dead_pid()}-abc123.tmp", f".m.h5.minikeras-{_dead_pid()}-zzz.tmp"]
        kept = [".m.h5.abc123.tmp",  # a user's own file of that shape
                f".m.h5.minikeras-{running.pid}-live.tmp",  # a save under way in another process
                f".other.h5.minikeras-{_dead_pid()}-abc.tmp"]  # another file's
        for name in stale + kept:
            (tmp_path / name).write_bytes(b"x" * 1000)
        _model().save(tmp_path / "m.h5")
        assert sorted(os.listdir(tmp_path)) == sorted([*kept, "m.h5"])
    finally:
        running.kill()
        running.wait()


def test_a_file_size_limit_is_an_os_error_naming_the_target_and_the_old_file_stays(tmp_path):
    script = f"""
import resource, numpy as np, minikeras as mk
big = mk.Sequential([mk.Input(shape=(400,)), mk.layers.Dense(400)])
small = mk.Sequential([mk.Input(shape=(4,)), mk.layers.Dense(3)])
small.save({str(tmp_path / "m.h5")!r})
before = open({str(tmp_path / "m.h5")!r}, "rb").read()
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
try:
    big.save({str(tmp_path / "m.h5")!r})
except OSError as error:
    print("OSError:", error)
assert open({str(tmp_path / "m.h5")!r}, "rb").read() == before
print("intact")
"""
    import signal
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          preexec_fn=lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN))
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Cannot save to {str(tmp_path / 'm.h5')!r}" in done.stdout and "intact" in done.stdout
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_ctrl_c_while_the_file_is_written_keeps_the_old_file(tmp_path, monkeypatch):
    _model().save(tmp_path / "m.h5")
    before = (tmp_path / "m.h5").read_bytes()
    from minikeras.saving import hdf5

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(hdf5, "_write_weights", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _model(5).save(tmp_path / "m.h5")
    assert (tmp_path / "m.h5").read_bytes() == before
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]


def test_a_failed_results_file_leaves_the_earlier_one_whole(tmp_path):
    import json

    from minikeras.saving.atomic import write_json
    write_json(tmp_path / "results.json", {"accuracy": 0.5})
    with pytest.raises(TypeError):
        write_json(tmp_path / "results.json", {"accuracy": 0.6, "bad": {1, 2}})  # a set is not JSON: fails midway
    assert json.loads((tmp_path / "results.json").read_text()) == {"accuracy": 0.5}
    assert os.listdir(tmp_path) == ["results.json"]


def test_a_failed_figure_leaves_the_earlier_one_whole(tmp_path, monkeypatch):
    import matplotlib.figure

    from minikeras import plot
    history = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.6]}
    plot.learning_curves(history, path=tmp_path / "curves.png")
    before = (tmp_path / "curves.png").read_bytes()

    def half_written(self, path, **kwargs):
        with open(path, "wb") as f:
            f.write(b"\x89PNG half")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", half_written)
    with pytest.raises(OSError, match="curves.png"):
        plot.learning_curves(history, path=tmp_path / "curves.png")
    assert (tmp_path / "curves.png").read_bytes() == before and os.listdir(tmp_path) == ["curves.png"]
