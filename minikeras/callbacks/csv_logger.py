"""Write the logs of every epoch to a CSV file."""
from __future__ import annotations

import csv

from .base import Callback, registry


@registry.register()
class CSVLogger(Callback):
    """One row per epoch: ``epoch`` then the log keys in sorted order.

    With ``append=True`` rows go after those of an existing file (no second header).
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = filename
        self.separator = separator
        self.append = append
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._writer is None:
            fields = ["epoch", *sorted(logs)]
            self._writer = csv.DictWriter(self._file, fieldnames=fields, delimiter=self.separator,
                                          extrasaction="ignore", restval="")
            if self._file.tell() == 0:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **logs})
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
