"""Record training and validation metrics several times per epoch, for smooth learning curves."""
from __future__ import annotations

from .base import Callback, registry


@registry.register()
class MetricsRecorder(Callback):
    """Evaluate `validation_data` `times_per_epoch` times per epoch (the MNIST seed uses 20).

    ``recorder.history`` is a dict of lists, like ``History.history``, plus ``"epoch"``: the
    fractional epoch of each record (0.05, 0.10, ... for 20 per epoch). The training values are
    the running means over the epoch's batches so far. `plot.learning_curves` draws it.
    """

    def __init__(self, validation_data, times_per_epoch: int = 20, batch_size: int | None = None):
        super().__init__()
        if times_per_epoch < 1:
            raise ValueError(f"times_per_epoch must be >= 1; got {times_per_epoch!r}.")
        self.validation_data = validation_data
        self.times_per_epoch = int(times_per_epoch)
        self.batch_size = batch_size
        self.history: dict[str, list[float]] = {}
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.history = {}
        steps = self.params["steps"]
        self._marks = {round(steps * k / self.times_per_epoch) - 1 for k in range(1, self.times_per_epoch + 1)}

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if batch not in self._marks:
            return
        x_val, y_val = self.validation_data[:2]
        scores = self.model.evaluate(x_val, y_val, batch_size=self.batch_size, verbose=0, return_dict=True)
        record = {"epoch": self._epoch + (batch + 1) / self.params["steps"], **(logs or {}),
                  **{f"val_{key}": value for key, value in scores.items()}}
        for key, value in record.items():
            self.history.setdefault(key, []).append(value)
