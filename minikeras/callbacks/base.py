"""Callback base class and the list that fans hooks out to several callbacks.

Callbacks talk to training through the ``logs`` dict they receive and through
``model.stop_training``, which `fit` checks after every batch and every epoch.
"""
from __future__ import annotations

import warnings

from ..registry import Registry


class Callback:
    """No-op hooks; subclass and override the ones you need.

    `fit` sets `self.model` and `self.params` (``{"epochs", "steps", "samples", "verbose"}``, steps
    being the number of batches per epoch, samples the number of training samples) before
    training begins.
    """

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...

    def on_train_end(self, logs=None): ...

    def on_epoch_begin(self, epoch, logs=None): ...

    def on_epoch_end(self, epoch, logs=None): ...

    def on_batch_begin(self, batch, logs=None): ...

    def on_batch_end(self, batch, logs=None): ...

    def on_train_batch_begin(self, batch, logs=None):
        """Keras 3's name of the hook before each training batch; runs `on_batch_begin`, as Keras."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Keras 3's name of the hook after each training batch; runs `on_batch_end`, as Keras."""
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None): ...

    def on_test_end(self, logs=None): ...

    def on_test_batch_end(self, batch, logs=None): ...

    def on_predict_begin(self, logs=None): ...

    def on_predict_end(self, logs=None): ...

    def on_predict_batch_end(self, batch, logs=None): ...


registry = Registry("callback", Callback)


def named_weights(model):
    """``("layer/array", array)`` of every weight of `model`, in layer order (the arrays themselves)."""
    return ((variable.path, variable.value) for variable in model.weights)


class CallbackList(Callback):
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks: list[Callback], model, params: dict):
        super().__init__()
        # Through the registry: an instance as it is, a registered class or name built with its defaults.
        callbacks = [registry.get(callback) for callback in callbacks]
        for callback in callbacks:
            callback.set_model(model)
            callback.set_params(params)
        self.callbacks = list(callbacks)
        self.model = model
        self.params = params



def _fan_out(hook: str):
    """`CallbackList`'s `hook`: the same hook of every callback, in order, with its epoch or batch
    index (hooks named ``*epoch*`` and ``*batch*``) and the logs always passed."""
    indexed = "epoch" in hook or "batch" in hook

    def call(self, *index_and_logs):
        if indexed:
            index, logs = (*index_and_logs, None)[:2]
            for callback in self.callbacks:
                getattr(callback, hook)(index, logs)
        else:
            (logs,) = index_and_logs or (None,)
            for callback in self.callbacks:
                getattr(callback, hook)(logs)

    call.__name__ = call.__qualname__ = hook
    return call


HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
         "on_train_batch_begin", "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_end")
for _hook in HOOKS:
    setattr(CallbackList, _hook, _fan_out(_hook))
del _hook


def monitor_mode(monitor: str, mode: str) -> str:
    """``"min"`` or ``"max"``: `mode`, or for ``"auto"`` max when the name says accuracy."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max'; got {mode!r}.")
    if mode != "auto":
        return mode
    return "max" if monitor.endswith(("acc", "accuracy")) else "min"


def monitored_value(callback: Callback, monitor: str, logs: dict | None) -> float | None:
    """``logs[monitor]``, or None with a warning that names what the logs hold."""
    current = (logs or {}).get(monitor)
    if current is None:
        warnings.warn(f"{type(callback).__name__} monitors {monitor!r}, which is not in the logs "
                      f"(available: {', '.join(sorted(logs or {}))}).", stacklevel=3)
    return current


def improved(current: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether `current` beats `best` by more than `min_delta` in direction `mode`."""
    if best is None:
        return True
    return current < best - min_delta if mode == "min" else current > best + min_delta
