"""The learning-rate range test (Smith 2015, "Cyclical learning rates", section 3.3)."""
from __future__ import annotations

import math

import numpy as np

from . import optimizers, schedules

SMOOTHING = 0.9      # exponential moving average of the batch losses, with bias correction
DIVERGED = 4.0       # stop once the smoothed loss exceeds this multiple of its best value


def lr_range_test(model, x, y, min_lr: float = 1e-6, max_lr: float = 1.0, steps: int = 200,
                  batch_size: int = 100, momentum: float = 0.0, seed: int = 0) -> dict:
    """Train a copy of `model` for up to `steps` updates while the rate grows exponentially
    from `min_lr` to `max_lr`; record the loss of every update.

    Returns ``{"lr": [...], "loss": [...], "smoothed_loss": [...], "suggested": (eta_min, eta_max)}``.
    The suggestion reads the smoothed curve: `eta_max` is the rate at its lowest point, `eta_min`
    the rate where it had fallen a tenth of the way from its start to that lowest point (where
    training "starts to learn"). The model itself is left untouched.
    """
    if not 0 < min_lr < max_lr:
        raise ValueError(f"Need 0 < min_lr < max_lr; got {min_lr!r} and {max_lr!r}.")
    trial = type(model).from_config(model.get_config())
    trial.set_weights(model.get_weights())
    growth = schedules.ExponentialDecay(min_lr, decay_steps=steps, decay_rate=max_lr / min_lr)
    trial.compile(optimizer=optimizers.SGD(growth, momentum=momentum), loss=model.loss or "categorical_crossentropy")
    rng = np.random.default_rng(seed)
    passes = -(-steps * batch_size // len(x))
    order = np.concatenate([rng.permutation(len(x)) for _ in range(passes)])
    rates, losses, smoothed = [], [], []
    average = 0.0
    for step in range(steps):
        index = order[step * batch_size:(step + 1) * batch_size]
        rates.append(trial.optimizer.current_learning_rate())
        loss = trial.train_on_batch(x[index], y[index], return_dict=True)["loss"]
        losses.append(loss)
        average = SMOOTHING * average + (1 - SMOOTHING) * loss
        smoothed.append(average / (1 - SMOOTHING ** (step + 1)))
        if not math.isfinite(loss) or smoothed[-1] > DIVERGED * min(smoothed):
            break
    return {"lr": rates, "loss": losses, "smoothed_loss": smoothed, "suggested": suggest_bounds(rates, smoothed)}


def suggest_bounds(rates: list[float], smoothed: list[float]) -> tuple[float, float]:
    lowest = int(np.nanargmin(smoothed))
    threshold = smoothed[0] - 0.1 * (smoothed[0] - smoothed[lowest])
    first = next((i for i, value in enumerate(smoothed[:lowest + 1]) if value <= threshold), 0)
    return rates[first], rates[lowest]
