"""The History callback that `fit` always adds and returns."""
from __future__ import annotations

from .base import Callback, registry


@registry.register()
class History(Callback):
    """Records the logs of every epoch.

    ``history.history[key]`` is the list of per-epoch values of ``loss``, metrics, ``val_*``
    and ``lr``; ``history.epoch`` the epoch indices.
    """

    def __init__(self):
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"
