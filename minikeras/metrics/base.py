"""The Metric base class (Keras' interface), the mean of a per-sample function, and the registry.

A metric accumulates over batches: ``update_state(y_true, y_pred, sample_weight=None)`` adds a
batch, ``result()`` gives the value over everything added since ``reset_state()``. `fit` resets
the metrics at the start of every epoch and logs their results; `evaluate` resets, adds every
batch and reads the results. ``y_true`` is the target in the form the model's loss prepared it
(class ids ``(N,)``, or rows ``(N, C)``); ``y_pred`` is the model output ``(N, C)``.
"""
from __future__ import annotations

import numpy as np

from .. import initializers
from ..config import floatx
from ..registry import Registry, describe, registered_function, registered_name, serialize
from ..variables import Variable


class Metric:
    """Base class: subclass and implement `update_state` and `result` (and `reset_state` unless
    the state is the variables of `add_variable`, Keras' way, which reset to their initial values).

    Attributes
    ----------
    name : str
        Its key in the logs and `History` (``val_`` + name for validation data).
    accepts_logits : bool
        True when the metric of the logits equals the metric of the probabilities (argmax-based
        accuracies): after a fused Softmax the model then skips computing the probabilities.
    """

    name = ""
    accepts_logits = False
    resets_at_init = False
    """True for a metric whose `reset_state` creates its state (the built-in ones): it runs at init."""
    state_names: tuple[str, ...] = ()
    """The attributes holding a built-in metric's running sums (besides its `variables`): the
    states of parts of a data set add up to the whole's (`evaluate` on a Dask array, `add_states`)."""

    def __init__(self, name: str | None = None, dtype=None):
        if name is not None:
            self.name = name
        self.dtype = np.dtype(dtype or floatx()).name
        self._variables: list[tuple[Variable, np.ndarray]] = []
        self._aggregations: list[str] = []
        if self.resets_at_init:
            self.reset_state()

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation: str = "sum",
                     name: str | None = None) -> Variable:
        """Keras' ``add_variable``: a state `Variable` of the metric, set back to its initial value
        by `reset_state`."""
        if aggregation not in AGGREGATIONS:
            raise ValueError(f"aggregation must be one of {tuple(AGGREGATIONS)}; got {aggregation!r}.")
        dtype = np.dtype(dtype or self.dtype)
        value = initializers.get(initializer).draw(tuple(shape), np.random.default_rng(0), dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=name or "variable", owner=self)
        self._variables.append((variable, value.copy()))
        self._aggregations.append(aggregation)
        return variable

    @property
    def variables(self) -> list[Variable]:
        return [variable for variable, _ in self._variables]

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self) -> None:
        """Every `add_variable` variable back to its initial value."""
        for variable, initial in self._variables:
            variable.assign(initial)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Add one batch and return the result so far (as Keras' ``metric(y_true, y_pred)``)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return describe(serialize(self))


class OutputLoss:
    """The running mean of one output's (unweighted) loss over the batches seen: Keras logs it as
    ``<output name>_loss`` for a model of several outputs."""

    state_names = ("total", "count")

    def __init__(self, name: str):
        self.name = name
        self.reset_state()

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0

    def add(self, loss, n: int) -> None:
        self.total += float(loss) * n
        self.count += n

    def result(self) -> float:
        return self.total / self.count if self.count else 0.0


# How the values of a variable over parts of the data make the whole's (Keras' aggregation names).
AGGREGATIONS = {"sum": lambda parts: sum(parts[1:], parts[0]), "mean": lambda parts: np.mean(parts, axis=0),
                "only_first_replica": lambda parts: parts[0]}


def state_of(metric) -> list:
    """The state of `metric` (or of an `OutputLoss`): its `state_names` attributes, then
    its variables' values."""
    if type(metric).reset_state is not Metric.reset_state and not metric.state_names:
        raise ValueError(f"{type(metric).__name__} keeps its state in attributes its reset_state sets: name them in "
                         f"state_names (each a running sum), or keep the state in add_variable variables, so that "
                         f"the states of parts of a data set can be added up.")
    return [np.array(getattr(metric, name)) for name in metric.state_names] + \
        [variable.numpy().copy() for variable in getattr(metric, "variables", ())]


def add_states(metric, states: list[list]) -> None:
    """Set `metric`'s state to that of the whole data set from `states` (`state_of` each part):
    sums of the attributes, variables aggregated as each was declared."""
    names = metric.state_names
    for position, name in enumerate(names):
        setattr(metric, name, sum(state[position] for state in states[1:]) + states[0][position])
    variables = zip(getattr(metric, "variables", ()), getattr(metric, "_aggregations", ()))
    for position, (variable, aggregation) in enumerate(variables, len(names)):
        variable.assign(AGGREGATIONS[aggregation]([state[position] for state in states]))


registry = Registry("metric", Metric, required=("update_state", "result"))


class Mean(Metric):
    """The (weighted) mean of every value given to `update_state(values, sample_weight=None)`."""

    name = "mean"
    resets_at_init = True
    state_names = ("total", "count")

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if sample_weight is None:
            self.total += float(np.add.reduce(values, axis=None))
            self.count += values.size
        else:
            weights = np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), values.shape)
            self.total += float(np.add.reduce(values * weights, axis=None))
            self.count += float(np.add.reduce(weights, axis=None))

    def result(self):
        return float(self.total / self.count) if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The mean over samples of ``fn(y_true, y_pred)``, a per-sample (or per-entry) function; what
    Keras makes of a plain function passed in ``metrics=[...]``."""

    def __init__(self, fn, name: str | None = None, dtype=None, **fn_kwargs):
        self.fn = fn
        self.fn_kwargs = fn_kwargs
        super().__init__(name or getattr(self.fn, "__name__", "mean_metric"), dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)

    def get_config(self):
        config = {"name": self.name, **self.fn_kwargs}
        # A user's function is named by its registered name, which loading looks up.
        return {"fn": registered_name(self.fn), **config} if type(self) is MeanMetricWrapper else config

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        if cls is not MeanMetricWrapper:
            return cls(**config)
        config = dict(config)
        return cls(registered_function(config.pop("fn", None), "metric"), **config)


registry.add(MeanMetricWrapper)


def sum_rows(values, sample_weight, axis=0):
    """Column sums of ``values`` (optionally weighted per row)."""
    values = np.asarray(values, dtype=np.float64)
    if sample_weight is not None:
        values = values * np.asarray(sample_weight, dtype=np.float64).reshape(-1, *([1] * (values.ndim - 1)))
    return np.add.reduce(values, axis=axis)
