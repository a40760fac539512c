"""Stop training as soon as the loss is NaN or infinite."""
from __future__ import annotations

import math

from .base import Callback, registry


@registry.register()
class TerminateOnNaN(Callback):
    """After the batch whose loss is NaN/inf, set ``model.stop_training``.

    `fit` then ends the epoch (``on_epoch_end`` still runs) and stops.
    """

    def __init__(self):
        super().__init__()
        self.stopped_batch: int | None = None

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.stopped_batch = batch
            self.model.stop_training = True
            print(f"Batch {batch}: loss is {loss}; terminating training.")
