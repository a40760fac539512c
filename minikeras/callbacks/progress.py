"""Training progress display (the callback ``verbose=1`` and ``verbose=2`` add)."""
from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .base import Callback, registry

REFRESH_SECONDS = 0.1  # at most this often the bar's text is rebuilt: cheap even for tiny batches


def format_logs(logs: dict) -> str:
    """``loss: 0.1234 - accuracy: 0.9500 - ...`` for the numbers in `logs`."""
    return " - ".join(f"{key}: {value:.4g}" if key == "lr" else f"{key}: {value:.4f}"
                      for key, value in logs.items() if isinstance(value, (int, float)))


@registry.register()
class ProgressBar(Callback):
    """A rich progress bar per epoch with live loss/metrics and ETA.

    When the output is not a terminal (a log file, CI) or ``plain=True``, it prints one plain
    line per epoch instead: ``Epoch 3/20 - 1.2s - loss: ... - val_loss: ... - lr: ...``.
    """

    def __init__(self, plain: bool | None = None, file=None):
        super().__init__()
        self.plain = plain
        self.file = file
        self._progress = None
        self._task = None

    def on_train_begin(self, logs=None):
        self._console = Console(file=self.file or sys.stdout)
        self._use_bar = not self.plain and self._console.is_terminal
        self._epochs = self.params.get("epochs", 0)
        self._steps = self.params.get("steps")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._last_refresh = time.monotonic()
        if not self._use_bar:
            return
        self._progress = Progress(TextColumn("Epoch {task.fields[epoch]}"), BarColumn(),
                                  MofNCompleteColumn(), TimeRemainingColumn(),
                                  TextColumn("{task.fields[logs]}"), console=self._console,
                                  transient=False)
        self._progress.start()
        self._task = self._progress.add_task("", total=self._steps,
                                             epoch=f"{epoch + 1}/{self._epochs}", logs="")

    def on_batch_end(self, batch, logs=None):
        if self._progress is None:
            return
        now = time.monotonic()
        if now - self._last_refresh >= REFRESH_SECONDS or batch + 1 == self._steps:
            self._last_refresh = now
            self._progress.update(self._task, completed=batch + 1, logs=format_logs(logs or {}))

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.monotonic() - self._epoch_start
        if self._progress is not None:
            self._progress.update(self._task, logs=f"{seconds:.1f}s - {format_logs(logs or {})}")
            self._progress.stop()
            self._progress = None
            return
        self._console.print(f"Epoch {epoch + 1}/{self._epochs} - {seconds:.1f}s - {format_logs(logs or {})}",
                            markup=False, highlight=False, soft_wrap=True)

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
