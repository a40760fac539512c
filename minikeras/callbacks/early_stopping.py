"""Stop training when a monitored quantity stops improving."""
from __future__ import annotations

import math

from .base import Callback, improved, monitor_mode, monitored_value, registry


@registry.register()
class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    With ``restore_best_weights=True`` the weights of the best epoch are put back when
    training ends, whatever ended it: this callback, the last epoch, another callback,
    a NaN loss or Ctrl-C.

    Examples
    --------
    >>> EarlyStopping(patience=3, restore_best_weights=True).patience
    3
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 mode: str = "auto", baseline: float | None = None, restore_best_weights: bool = False,
                 start_from_epoch: int = 0, verbose: int = 0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(float(min_delta))
        self.patience = int(patience)
        self.mode = monitor_mode(monitor, mode)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.verbose = verbose
        self._reset()

    def _reset(self):
        self.wait = 0
        self.best = self.baseline
        self.best_epoch: int | None = None
        self.best_weights = None
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value(self, self.monitor, logs)
        if current is None:
            return
        if epoch < self.start_from_epoch or math.isnan(current):
            return
        if improved(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.verbose:
                print(f"Epoch {epoch + 1}: early stopping ({self.monitor} best {self.best:.5g} "
                      f"at epoch {self.best_epoch + 1 if self.best_epoch is not None else '-'}).")

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            if self.verbose:
                print(f"Restored the weights of epoch {self.best_epoch + 1}.")
