"""A callback made of plain functions."""
from __future__ import annotations

from .base import Callback, registry

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin",
          "on_batch_end")


@registry.register()
class LambdaCallback(Callback):
    """Each keyword names a hook and gives the function to call, with the hook's arguments.

    Examples
    --------
    >>> printer = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs["loss"]))
    """

    def __init__(self, **hooks):
        super().__init__()
        unknown = sorted(set(hooks) - set(_HOOKS))
        if unknown:
            raise ValueError(f"Unknown LambdaCallback hooks {unknown}. Expected some of: {', '.join(_HOOKS)}.")
        for name, function in hooks.items():
            if function is not None:
                setattr(self, name, function)
