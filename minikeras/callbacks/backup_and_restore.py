"""Resume a killed or crashed `fit` where it stopped, exactly."""
from __future__ import annotations

import contextlib
import os
import warnings

from ..checks import non_finite_names
from ..data_utils import FitPosition
from ..saving import atomic, hdf5
from .base import Callback, named_weights, registry


@registry.register()
class BackupAndRestore(Callback):
    """Keras' ``BackupAndRestore(backup_dir, save_freq="epoch", double_checkpoint=False,
    delete_checkpoint=True)``.

    Saves the whole training state — weights, optimizer state, the model's generator and where
    the run stands, including the epoch's sample order — to ``backup_dir/latest.h5`` after every
    epoch (or also every `save_freq` batches, when it is an int). When the same `fit` is run
    again after the process was killed, it restores that state and carries on from there: the
    final weights are bit-identical to those of an uninterrupted run (Keras restores epoch
    counters only, and so restarts a killed epoch from its beginning).

    What is not restored: other callbacks' own counters (EarlyStopping's patience,
    ReduceLROnPlateau's wait), and the generators of layers given their own ``seed``.

    `double_checkpoint` keeps the previous backup as ``latest.h5.bkp``, used if the latest
    cannot be read. `delete_checkpoint` removes the backup once `fit` has run all its epochs
    (or was stopped by a callback); an interrupted run (Ctrl-C) keeps it.

    The folder is this run's alone while `fit` runs: a lock file (``.minikeras.lock``) refuses a
    second process, and a `backup_dir` that is a symbolic link is refused. Backups replace what is
    at their paths by renaming, so nothing is ever written through a link planted there.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True):
        super().__init__()
        if not backup_dir:
            raise ValueError(f"BackupAndRestore needs a backup_dir (a folder path); got {backup_dir!r}.")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1):
            raise ValueError(f"BackupAndRestore save_freq must be 'epoch' or a number of batches >= 1; got "
                             f"{save_freq!r}.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self.path = os.path.join(self.backup_dir, "latest.h5")
        self.previous_path = self.path + ".bkp"
        self._epoch = 0
        self._batches_done = 0
        self._since_save = 0
        self._lock = ""

    # -- restoring -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._since_save = 0
        if os.path.islink(self.backup_dir):
            raise ValueError(f"BackupAndRestore: backup_dir {self.backup_dir!r} is a symbolic link; give the folder "
                             f"itself.")
        os.makedirs(self.backup_dir, exist_ok=True)
        self._lock = atomic.lock_folder(self.backup_dir)
        for path in (self.path, self.previous_path):
            if not os.path.exists(path):
                continue
            try:
                self._restore(path)
                return
            except hdf5.ModelFileError as error:
                if path == self.previous_path or not os.path.exists(self.previous_path):
                    raise
                warnings.warn(f"BackupAndRestore: {error}; using the previous backup {self.previous_path}.",
                              stacklevel=2)

    def _restore(self, path):
        model = self.model
        saved = hdf5.load_model(path, type(model))
        if _architecture(saved) != _architecture(model):
            raise hdf5.ModelFileError(f"Cannot restore from {path!r}: it was saved from another model (the "
                                      f"architectures differ). Remove it, or point backup_dir elsewhere.")
        samples = self.params["samples"]  # None for a PyDataset, whose order is of its batches
        epoch, batch, order = hdf5.read_fit_position(path, self.params["steps"] if samples is None else samples)
        target, source = model.engine, saved.engine
        if type(target.optimizer) is not type(source.optimizer):
            raise hdf5.ModelFileError(f"Cannot restore from {path!r}: it was saved with a "
                                      f"{type(source.optimizer).__name__} optimizer; this fit uses "
                                      f"{type(target.optimizer).__name__}.")
        model.set_weights(saved.get_weights())
        state: dict = {}
        source.optimizer.save_own_variables(state)
        target.optimizer.load_own_variables(state)
        if isinstance(source.optimizer.learning_rate, float):  # a rate ReduceLROnPlateau had lowered
            target.optimizer.learning_rate = source.optimizer.learning_rate
        model.set_training_state(saved.get_training_state())
        model.resume_at = FitPosition(epoch, batch, order)
        if epoch >= self.params["epochs"]:
            warnings.warn(f"BackupAndRestore: the backup in {self.backup_dir} has already completed {epoch} epochs; "
                          f"this fit (epochs={self.params['epochs']}) has none left to run.", stacklevel=3)

    # -- saving ----------------------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._batches_done = 0

    def on_batch_end(self, batch, logs=None):
        self._batches_done = batch + 1
        self._since_save += 1
        last_batch = self._batches_done == self.params["steps"]
        if self.save_freq != "epoch" and self._since_save >= self.save_freq and not last_batch:
            self._save(FitPosition(self._epoch, self._batches_done, self.model.epoch_order))

    def on_epoch_end(self, epoch, logs=None):
        if self.model.epoch == epoch + 1:
            self._save(FitPosition(epoch + 1))
        else:  # stopped mid-epoch (Ctrl-C, or a callback): resume at the next batch of this epoch
            self._save(FitPosition(epoch, self._batches_done, self.model.epoch_order))

    def _save(self, position: FitPosition) -> None:
        self._since_save = 0
        bad = non_finite_names(named_weights(self.model))
        if bad:
            warnings.warn(f"BackupAndRestore: {bad[0]} holds NaN or inf; the last backup is kept.", stacklevel=3)
            return
        if self.double_checkpoint and os.path.lexists(self.path):
            os.replace(self.path, self.previous_path)  # the previous backup stays readable while the next is written
        hdf5.save_model(self.model, self.path, position, follow_links=False)

    def on_train_end(self, logs=None):
        atomic.unlock_folder(self._lock)
        finished = self.model.epoch >= self.params["epochs"] or self.model.stop_training
        if not (self.delete_checkpoint and finished):
            return
        for path in (self.path, self.previous_path):
            if os.path.lexists(path):
                os.remove(path)
        with contextlib.suppress(OSError):  # not empty: something else is kept there
            os.rmdir(self.backup_dir)


def _architecture(model) -> dict:
    """The model's config without its own name (an unnamed model's name counts the models made in
    the process: a run restarted in the same process makes another)."""
    return {key: value for key, value in model.get_config().items() if key != "name"}
