"""Stop training as soon as the loss is NaN or infinite."""
from __future__ import annotations

import math

from ..checks import non_finite_names
from .base import Callback, named_weights, registry


@registry.register()
class TerminateOnNaN(Callback):
    """After the batch whose loss is NaN/inf, set ``model.stop_training``.

    `fit` then stops: the cut-short epoch is not counted in ``model.epoch``, ``on_epoch_end`` and
    ``on_train_end`` still run. The message names the epoch, the batch and the first layer and
    array whose values went non-finite (``stopped_at`` holds the same).
    """

    def __init__(self):
        super().__init__()
        self.stopped_batch: int | None = None
        self.stopped_at: dict | None = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        self.stopped_batch = batch
        bad = non_finite_names(named_weights(self.model))
        self.stopped_at = {"epoch": self._epoch + 1, "batch": batch, "loss": loss, "weights": bad[0] if bad else None}
        self.model.stop_training = True
        where = self.stopped_at["weights"] or "no weight yet (the loss alone)"
        print(f"Epoch {self._epoch + 1}, batch {batch}: loss is {loss}; first non-finite values in {where}. "
              f"Terminating training.")

