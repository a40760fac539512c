"""Lower the learning rate when a monitored quantity stops improving."""
from __future__ import annotations

from .base import Callback, improved, monitor_mode, monitored_value, registry


@registry.register()
class ReduceLROnPlateau(Callback):
    """Keras' ReduceLROnPlateau: when `monitor` has not improved by more than `min_delta` for
    `patience` epochs, ``rate = max(rate * factor, min_lr)``, then wait `cooldown` epochs before
    counting again. The new rate shows in the next epoch's ``lr`` of the logs and history, and is
    saved with the model (it is the optimizer's rate). The optimizer needs a float learning rate.

    Examples
    --------
    >>> ReduceLROnPlateau(factor=0.5, patience=2).factor
    0.5
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, verbose: int = 0,
                 mode: str = "auto", min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0, **kwargs):
        super().__init__()
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected arguments {sorted(kwargs)}.")
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0 (or < 0); got factor={factor!r}.")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.mode = monitor_mode(monitor, mode)
        self.min_delta = float(min_delta)
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value(self, self.monitor, logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if improved(current, self.best, self.mode, self.min_delta):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch)

    def _reduce(self, epoch):
        optimizer = self.model.optimizer
        rate = optimizer.current_learning_rate()
        if rate > self.min_lr:
            optimizer.learning_rate = max(rate * self.factor, self.min_lr)
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {optimizer.learning_rate:.5g}.")
            self.cooldown_counter = self.cooldown
            self.wait = 0
