"""Save the model (or its weights) during training."""
from __future__ import annotations

import math
import warnings

from .. import saving
from ..checks import non_finite_names
from .base import Callback, improved, monitor_mode, named_weights, registry


@registry.register()
class ModelCheckpoint(Callback):
    """Save after every epoch, or only when `monitor` improves (``save_best_only``).

    `filepath` may hold Keras-style placeholders filled from the epoch (1-based) and the logs:
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.h5"``. ``save_weights_only`` writes `save_weights`
    files instead of full models. Weights holding NaN or inf are never saved (a warning says so),
    so the last good checkpoint is not overwritten by a diverged model.
    """

    def __init__(self, filepath, monitor: str = "val_loss", save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", verbose: int = 0):
        super().__init__()
        self.filepath = str(filepath)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.mode = monitor_mode(monitor, mode)
        self.verbose = verbose
        self.best: float | None = None
        self.last_saved: str | None = None

    def on_train_begin(self, logs=None):
        self.best = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint monitors {self.monitor!r}, which is not in the logs "
                              f"(available: {', '.join(sorted(logs))}); nothing saved.", stacklevel=2)
                return
            if math.isnan(current) or not improved(current, self.best, self.mode):
                return
            self.best = current
        self._save(epoch, logs)

    def _save(self, epoch, logs):
        bad = non_finite_names(named_weights(self.model))
        if bad:
            warnings.warn(f"Epoch {epoch + 1}: {bad[0]} holds NaN or inf; ModelCheckpoint keeps the last saved file "
                          f"({self.last_saved or 'none yet'}) instead of writing these weights.", stacklevel=2)
            return
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"ModelCheckpoint cannot fill the file name {self.filepath!r} from epoch and "
                             f"logs {sorted(logs)}: {error!r}.") from None
        # A checkpoint replaces what is at its path, a symbolic link included: it never writes through one.
        if self.save_weights_only:
            saving.save_weights(self.model, path, follow_links=False)
        else:
            saving.save(self.model, path, follow_links=False)
        self.last_saved = path
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved {path}.")
