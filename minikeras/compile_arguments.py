"""What `compile`'s arguments become: one loss, metric list and weight per output (a list or a
dict keyed by output name, as Keras takes them), the courses' default loss, and the compile
settings as JSON-able data."""
from __future__ import annotations

import numpy as np

from . import losses
from . import metrics as metrics_module
from .registry import serialize
from .structures import by_position


class _CourseDefault(str):
    """The default loss of `Trainer.compile`: the courses' ``"categorical_crossentropy"``, told
    apart from the same name given explicitly."""


COURSE_LOSS = _CourseDefault("categorical_crossentropy")


def compiled_settings(loss, loss_weights, metrics, weighted_metrics, names: list[str]) -> tuple:
    """``(loss, loss_weights, metrics, weighted_metrics)`` as the engine takes them: one entry per
    output for a model of several outputs (`names`), else the single ones."""
    if len(names) > 1:
        weights = None if loss_weights is None else \
            [loss_weight(item) for item in per_output(loss_weights, names, "loss_weights")]
        return ([loss_of(item) for item in per_output(loss, names, "loss", spread=True)], weights,
                [metric_list(item) for item in per_output(metrics, names, "metrics")],
                [metric_list(item) for item in per_output(weighted_metrics, names, "weighted_metrics")])
    one_weight = isinstance(loss_weights, dict) and len(loss_weights) == 1
    if loss_weights not in (None, 1, 1.0, [1], [1.0]) and not one_weight:
        raise ValueError(f"loss_weights weigh the losses of several outputs; this model has one. Got {loss_weights!r}.")
    return (loss_of(single(loss, names)), None, metric_list(single(metrics, names)),
            metric_list(single(weighted_metrics, names)))


def per_output(value, names: list[str], what: str, spread: bool = False) -> list:
    """A compile argument for a model of several outputs, one entry per output: from a list in output
    order or a dict keyed by output name (missing outputs get None); with `spread`, a single value
    goes to every output (Keras: one loss for all)."""
    if value is None:
        return [None] * len(names)
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - set(names))
        if unknown:
            raise ValueError(f"compile {what} names outputs {unknown}; the model's outputs are {names}.")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)):
        return by_position(value, names, f"compile {what}")
    if spread:
        return [value] * len(names)
    raise ValueError(f"compile {what} of a model with several outputs must be a list (one entry per output, in "
                     f"order: {names}) or a dict keyed by output name; got {value!r}.")


_STEPS = ("train_step", "test_step", "predict_step", "compute_loss")


def refuse_custom_steps(cls: type) -> None:
    """Keras' "customizing what happens in fit" (a subclass overriding `train_step`, ...) is written
    against a backend's own gradient API; say so rather than ignore the override."""
    overridden = [name for name in _STEPS if any(name in vars(klass) for klass in cls.__mro__
                                                 if not klass.__module__.startswith("minikeras."))]
    if overridden:
        raise NotImplementedError(f"{cls.__name__} overrides {', '.join(overridden)}: minikeras runs its own training "
                                  f"step. Write the computation in call() (with self.add_loss for extra losses) and "
                                  f"pass the loss and metrics to compile().")


def loss_of(spec):
    return None if spec is None else losses.get(str(spec) if isinstance(spec, _CourseDefault) else spec)


def single(value, names: list[str]):
    """A compile argument of a one-output model given as Keras also allows it: ``{name: value}``."""
    if isinstance(value, dict):
        if list(map(str, value)) != names:
            raise ValueError(f"A dict in compile must be keyed by the output's name {names}; got keys {list(value)}.")
        return value[names[0]]
    return value


def metric_list(value) -> list:
    """Metrics of one output: None, a metric, or a list of them."""
    if value is None:
        return []
    return [metrics_module.get(item) for item in (value if isinstance(value, (list, tuple)) else [value])]


def loss_weight(value) -> float:
    if value is None:
        return 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise ValueError(f"loss_weights must be finite numbers; got {value!r}.")
    return float(value)


def flat(items) -> list:
    """The metrics of nested lists (per output, per kind) in order."""
    return [metric for item in items for metric in (flat(item) if isinstance(item, list) else [item])]


def serialized(value):
    """`serialize` of an object, or of each in (nested) lists (None stays None)."""
    if value is None:
        return None
    return [serialized(item) for item in value] if isinstance(value, list) else serialize(value)


def deserialized(value, registry):
    if value is None:
        return None
    return [deserialized(item, registry) for item in value] if isinstance(value, list) else registry.from_config(value)
