"""Progress display: the callback ``verbose=1`` and ``verbose=2`` add to `fit`, and the batch
count `evaluate` and `predict` show with ``verbose=1``.

Lines never cut a value: on a terminal, logs that do not fit its width wrap between entries
(a bar's row keeps the epoch, the bar, the count and the time, and wraps its logs below them);
in a file or pipe every epoch is one whole line.
"""
from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column

from .base import Callback, registry

REFRESH_SECONDS = 0.1  # at most this often the bar's text is rebuilt: cheap even for tiny batches


def _format_value(key: str, value) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(f"{item:.4f}" for item in value) + "]"
    return f"{value:.4g}" if key == "lr" else f"{value:.4f}"


def log_entries(logs: dict) -> list[str]:
    """``["loss: 0.1234", "accuracy: 0.9500", ...]`` for the numbers (and per-class lists) in `logs`."""
    return [f"{key}: {_format_value(key, value)}" for key, value in logs.items()
            if isinstance(value, (int, float, list, tuple)) and value is not None]


def wrap_entries(entries: list[str], width: int) -> str:
    """`entries` joined by `` - `` in lines of at most `width` characters, broken only between
    entries (an entry wider than the line stands alone on its line)."""
    lines, current = [], ""
    for entry in entries:
        candidate = f"{current} - {entry}" if current else entry
        if current and len(candidate) > width:
            lines.append(current)
            current = entry
        else:
            current = candidate
    return "\n".join([*lines, current])


def print_entries(console: Console, entries: list[str]) -> None:
    """One progress line: wrapped between entries on a terminal, left whole in a file or pipe."""
    if console.is_terminal:
        console.print(wrap_entries(entries, console.width), markup=False, highlight=False, no_wrap=True,
                      overflow="ignore")
    else:
        console.print(" - ".join(entries), markup=False, highlight=False, soft_wrap=True)


class _LiveLogs:
    """The logs column of a bar row, wrapped between entries to the width the other columns leave."""

    def __init__(self, console: Console, used: int):
        self.width = max(console.width - used, 20)

    def __call__(self, logs: dict) -> str:
        return wrap_entries(log_entries(logs), self.width)


def _progress(console: Console, label: str) -> Progress:
    """A bar row: label, bar, count and time left, then the logs (pre-wrapped: never cut)."""
    return Progress(TextColumn(label, table_column=Column(no_wrap=True)), BarColumn(bar_width=BAR_WIDTH),
                    MofNCompleteColumn(table_column=Column(no_wrap=True)),
                    TimeRemainingColumn(table_column=Column(no_wrap=True)),
                    TextColumn("{task.fields[logs]}", table_column=Column(no_wrap=True, overflow="ignore")),
                    console=console, transient=True)


BAR_WIDTH = 20


def _used_width(label: str, steps) -> int:
    """Columns the label, bar, count and time take, with rich's one-space padding between them."""
    return len(label) + BAR_WIDTH + 2 * len(str(steps)) + 1 + len("0:00:00") + 4


class BatchProgress:
    """``verbose`` 1: a bar over `total` batches while they run, then ``N/N - 0.3s - loss: ...``
    (only that line when not on a terminal); 0: nothing. For `evaluate` and `predict`."""

    def __init__(self, total: int, verbose: int, file=None):
        self.total, self.verbose = total, verbose
        self._start = time.monotonic()
        self._console = Console(file=file or sys.stdout)
        self._progress = None
        if verbose == 1 and self._console.is_terminal:
            self._progress = _progress(self._console, "")
            self._progress.start()
            self._task = self._progress.add_task("", total=total, logs="")

    def advance(self, index: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=index + 1)

    def finish(self, logs: dict) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self.verbose:
            print_entries(self._console, [f"{self.total}/{self.total}", f"{time.monotonic() - self._start:.1f}s",
                                          *log_entries(logs)])


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
        label = f"Epoch {epoch + 1}/{self._epochs}"
        self._live_logs = _LiveLogs(self._console, _used_width(label, self._steps))
        self._progress = _progress(self._console, label)
        self._progress.start()
        self._task = self._progress.add_task("", total=self._steps, logs="")

    def on_batch_end(self, batch, logs=None):
        if self._progress is None:
            return
        now = time.monotonic()
        if now - self._last_refresh >= REFRESH_SECONDS or batch + 1 == self._steps:
            self._last_refresh = now
            self._progress.update(self._task, completed=batch + 1, logs=self._live_logs(logs or {}))

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.monotonic() - self._epoch_start
        if self._progress is not None:  # the bar disappears; the epoch's line stays, as without a terminal
            self._progress.stop()
            self._progress = None
        print_entries(self._console, [f"Epoch {epoch + 1}/{self._epochs}", f"{seconds:.1f}s", *log_entries(logs or {})])

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


@registry.register()
class ProgbarLogger(Callback):
    """Keras' name for the progress display: the `fit` ``verbose`` it runs under picks a bar (1),
    one line per epoch (2) or nothing (0). Given in `callbacks`, it replaces the one `fit` adds."""

    def __init__(self):
        super().__init__()
        self._bar: ProgressBar | None = None

    def on_train_begin(self, logs=None):
        verbose = self.params.get("verbose", 1)
        self._bar = ProgressBar(plain=verbose == 2) if verbose else None
        if self._bar is not None:
            self._bar.set_model(self.model)
            self._bar.set_params(self.params)
            self._bar.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.on_epoch_begin(epoch, logs)

    def on_batch_end(self, batch, logs=None):
        if self._bar is not None:
            self._bar.on_batch_end(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._bar is not None:
            self._bar.on_epoch_end(epoch, logs)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.on_train_end(logs)
