import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import minikeras as mk
from minikeras.saving import ModelFileError
from tests.callbacks.backup_run import AtBatch, build_model, data

SCRIPT = Path(__file__).with_name("backup_run.py")
ROOT = SCRIPT.parents[2]


def _run(*args, pause=None):
    """Run the training script; with `pause`, SIGKILL it once it reports that point."""
    command = [sys.executable, str(SCRIPT), *map(str, args), *(map(str, pause) if pause else ())]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if pause is None:
        subprocess.run(command, check=True, env=env, cwd=ROOT, timeout=300)
        return
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert process.stdout.readline().strip() == "paused"
        process.kill()  # SIGKILL: no handler, no cleanup, no on_train_end
        assert process.wait(timeout=60) == -9
    finally:
        process.kill()
        process.stdout.close()


def _weights(path):
    with np.load(path) as saved:
        return [saved[key] for key in sorted(saved.files, key=lambda k: int(k.split("_")[1]))]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uninterrupted")
    _run(folder / "backup", folder / "weights.npz", "epoch")
    return _weights(folder / "weights.npz")


@pytest.mark.parametrize("save_freq, pause", [("epoch", (2, 5)), (3, (2, 6)), (3, (0, 1))])
def test_a_killed_fit_run_again_ends_bit_identical(tmp_path, uninterrupted, save_freq, pause):
    backup = tmp_path / "backup"
    _run(backup, tmp_path / "weights.npz", save_freq, pause=pause)
    assert (backup / "latest.h5").exists() or pause == (0, 1)
    _run(backup, tmp_path / "weights.npz", save_freq)
    for expected, resumed in zip(uninterrupted, _weights(tmp_path / "weights.npz"), strict=True):
        np.testing.assert_array_equal(resumed, expected)
    assert not backup.exists()  # deleted once the run has finished


def test_a_killed_fit_of_a_graph_run_again_ends_bit_identical(tmp_path):
    _run("graph", tmp_path / "straight", tmp_path / "straight.npz", 3)
    backup = tmp_path / "backup"
    _run("graph", backup, tmp_path / "weights.npz", 3, pause=(2, 4))
    assert (backup / "latest.h5").exists()
    _run("graph", backup, tmp_path / "weights.npz", 3)
    for expected, resumed in zip(_weights(tmp_path / "straight.npz"), _weights(tmp_path / "weights.npz"), strict=True):
        np.testing.assert_array_equal(resumed, expected)


def crash_at(epoch, batch):
    """A callback that raises after batch `batch` of epoch `epoch`, as a crash would."""

    def crash():
        raise RuntimeError("crash")

    return AtBatch(epoch, batch, crash)


def _fit(backup_dir, *callbacks, epochs=4, **kwargs):
    x, y = data()
    model = build_model()
    history = model.fit(x, y, batch_size=32, epochs=epochs, callbacks=[*callbacks, mk.callbacks.BackupAndRestore(
        backup_dir, **kwargs)], verbose=0)
    return model, history


def test_a_crashed_fit_resumes_in_process_and_logs_only_the_epochs_it_runs(tmp_path):
    reference, _ = _fit(tmp_path / "reference")
    with pytest.raises(RuntimeError, match="crash"):
        _fit(tmp_path / "backup", crash_at(2, 3))
    resumed, history = _fit(tmp_path / "backup")
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert len(history.history["loss"]) == 2 and resumed.epoch == 4
    assert resumed.optimizer.iterations == reference.optimizer.iterations


def test_keeps_the_backup_when_asked_and_a_finished_run_then_does_nothing_more(tmp_path):
    model, _ = _fit(tmp_path / "backup", delete_checkpoint=False)
    assert (tmp_path / "backup" / "latest.h5").exists()
    with pytest.warns(UserWarning, match="already completed 4 epochs"):
        again, history = _fit(tmp_path / "backup", delete_checkpoint=False)
    assert history.history == {} and again.epoch == 4
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_backup_of_another_model_or_other_data_is_refused_clearly(tmp_path):
    with pytest.raises(RuntimeError):
        _fit(tmp_path / "backup", crash_at(1, 2), save_freq=2)
    x, y = data()
    other = mk.Sequential([mk.layers.Input((20,)), mk.layers.Dense(3, activation="softmax")])
    other.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ModelFileError, match="saved from another model"):
        other.fit(x, y, callbacks=[mk.callbacks.BackupAndRestore(tmp_path / "backup")], verbose=0)
    with pytest.raises(ModelFileError, match=r"order has shape \(500,\); the model's is \(100,\)"):
        build_model().fit(x[:100], y[:100], callbacks=[mk.callbacks.BackupAndRestore(tmp_path / "backup")],
                          verbose=0)


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    with pytest.raises(RuntimeError):
        _fit(tmp_path / "backup", crash_at(2, 0), double_checkpoint=True)
    assert (tmp_path / "backup" / "latest.h5.bkp").exists()
    (tmp_path / "backup" / "latest.h5").write_bytes(b"not an HDF5 file")
    with pytest.warns(UserWarning, match="using the previous backup"):
        resumed, history = _fit(tmp_path / "backup", double_checkpoint=True)
    assert len(history.history["loss"]) == 3  # the previous backup was taken after epoch 1
    reference, _ = _fit(tmp_path / "reference")
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_damaged_backup_without_a_previous_one_stops_fit_with_the_reason(tmp_path):
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "latest.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    with warnings.catch_warnings(), pytest.raises(ModelFileError, match="latest.h5"):
        _fit(tmp_path / "backup")


@pytest.mark.parametrize("kwargs, message", [({"backup_dir": ""}, "needs a backup_dir"),
                                             ({"backup_dir": "b", "save_freq": 0}, "save_freq must be"),
                                             ({"backup_dir": "b", "save_freq": "batch"}, "save_freq must be")])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mk.callbacks.BackupAndRestore(**kwargs)


def test_planted_links_are_replaced_never_written_through(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    backup = tmp_path / "backup"

    class PlantLinks(mk.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            for name in ("latest.h5", "latest.h5.bkp"):
                if os.path.lexists(backup / name):
                    os.remove(backup / name)
                os.symlink(outside, backup / name)

    x, y = data()
    model = build_model()
    model.fit(x, y, epochs=3, verbose=0, callbacks=[PlantLinks(), mk.callbacks.BackupAndRestore(
        backup, double_checkpoint=True, delete_checkpoint=False)])
    assert outside.read_bytes() == b"precious"
    assert not os.path.islink(backup / "latest.h5") and mk.load_model(backup / "latest.h5").epoch == 3


def test_a_checkpoint_replaces_a_planted_link(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"precious")
    os.symlink(outside, tmp_path / "ckpt.h5")
    x, y = data()
    build_model().fit(x, y, epochs=1, verbose=0, callbacks=[mk.callbacks.ModelCheckpoint(tmp_path / "ckpt.h5",
                                                                                         monitor="loss")])
    assert outside.read_bytes() == b"precious" and not os.path.islink(tmp_path / "ckpt.h5")


def test_a_second_process_on_the_same_backup_folder_is_refused(tmp_path):
    backup = tmp_path / "backup"
    backup.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (backup / ".minikeras.lock").write_text(str(other.pid))
        x, y = data()
        with pytest.raises(RuntimeError, match=rf"in use by process {other.pid}"):
            build_model().fit(x, y, verbose=0, callbacks=[mk.callbacks.BackupAndRestore(backup)])
    finally:
        other.kill()
        other.wait()
    build_model().fit(x, y, verbose=0, callbacks=[mk.callbacks.BackupAndRestore(backup)])  # a dead owner's lock
    assert not backup.exists()  # finished: backups, lock and folder removed


def test_a_symlinked_backup_dir_is_refused_before_training(tmp_path):
    (tmp_path / "real").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "link")
    x, y = data()
    model = build_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="is a symbolic link; give the folder itself"):
        model.fit(x, y, verbose=0, callbacks=[mk.callbacks.BackupAndRestore(tmp_path / "link")])
    np.testing.assert_array_equal(model.get_weights()[0], before[0])
