"""Evaluate and predict with the optimizer's moving average of the weights (Keras' SwapEMAWeights)."""
from __future__ import annotations

from .base import Callback, registry


@registry.register()
class SwapEMAWeights(Callback):
    """Keras' ``SwapEMAWeights(swap_on_epoch=False)``, for an optimizer with ``use_ema=True``: the
    model takes the moving average of its weights (the optimizer's ``average`` slot) for every
    evaluation and prediction — validation during `fit` included — and its trained weights back
    after. With `swap_on_epoch`, the averages are also in the model from each epoch's end to the
    next epoch's start, so that a ModelCheckpoint listed after this callback saves them.

    The trained weights are held by the callback meanwhile (the optimizer's average is left as it
    is), so the end of `fit`, which gives the model the averages, finds them where they belong.
    """

    def __init__(self, swap_on_epoch: bool = False):
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)
        self._trained: list | None = None  # the trained weights while the averages are in the model

    def _swap_in(self, *args) -> None:
        if self._trained is not None:
            return
        optimizer = self.model.optimizer
        if optimizer is None or not optimizer.use_ema or not optimizer.built:
            raise ValueError(f"SwapEMAWeights needs an optimizer built with use_ema=True; got {optimizer!r}.")
        variables = self.model.engine.trainable_variables
        self._trained = [variable.numpy() for variable in variables]
        for variable in variables:
            variable.assign(optimizer.slot(variable, "average").value)

    def _swap_out(self, *args) -> None:
        if self._trained is not None:
            for variable, value in zip(self.model.engine.trainable_variables, self._trained):
                variable.assign(value)
            self._trained = None

    on_test_begin = on_predict_begin = _swap_in
    on_test_end = on_predict_end = _swap_out

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_out()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap_in()

    def on_train_end(self, logs=None):
        self._trained = None  # fit has just given the model its averages for good (finalize_variable_values)
