"""Set the learning rate at the start of every epoch from a function."""
from __future__ import annotations

from .base import Callback, registry


@registry.register()
class LearningRateScheduler(Callback):
    """Before each epoch, ``optimizer.learning_rate = schedule(epoch, current_rate)``.

    The optimizer must have a float learning rate (a `Schedule` already sets it per update).

    Examples
    --------
    >>> halve = LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be a function (epoch, lr) -> lr; got {schedule!r}.")
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        rate = self.schedule(epoch, optimizer.current_learning_rate())
        optimizer.learning_rate = rate
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {rate:.5g}.")
