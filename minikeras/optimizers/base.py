"""The optimizer base class: Keras 3's contract, and the flat fast path of the built-ins.

Keras' contract: `build(variables)` records the variables to update and makes the slots
(`add_variable_from_reference`, `add_variable`); `update_step(gradient, variable,
learning_rate)` changes one variable (with `assign`, `assign_add`, `assign_sub`); `apply`
runs one update of every variable; `iterations` counts updates; `save_own_variables` /
`load_own_variables` hold the whole state (slots, count, last rate), used by model files and by
`BackupAndRestore` alike. A user's subclass needs only `build` and `update_step`.

The built-ins declare their slots (`slot_names`) and write their rule once, as
``_update_arrays(value, gradient, slots, learning_rate, scratch)`` on plain arrays. Those whose
rule is element-wise (`elementwise = True`) keep each slot for all variables in one flat array
(`minikeras.store`), and the training engine updates the whole model with one call
(`_apply_packed`); `update_step` runs the same rule on one variable's views.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import backend, initializers
from ..checks import check_positive
from ..registry import Registry, describe, serialize
from ..store import pack
from ..variables import Variable
from . import schedules

AVERAGE = "average"  # the slot of use_ema's moving average


class Optimizer:
    """Base class (Keras' ``keras.optimizers.Optimizer``).

    Keras' common arguments, applied before every update in Keras' order: `clipnorm` scales each
    variable's gradient down to that L2 norm, `global_clipnorm` scales all gradients down to that
    total L2 norm, `clipvalue` clips each gradient entry to ``[-clipvalue, clipvalue]``, then
    `weight_decay` decays every weight, ``w -= w * weight_decay * lr`` (decoupled from the
    gradient, as AdamW). With `use_ema`, a moving average of the weights is kept after each
    update, copied into them every `ema_overwrite_frequency` updates and at the end of `fit`
    (`finalize_variable_values`).

    Examples
    --------
    A Keras-style optimizer (SGD with momentum):

    ```python
    class MomentumSGD(Optimizer):
        def build(self, variables):
            super().build(variables)
            self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            m = self.momentums[self._get_variable_index(variable)]
            self.assign(m, 0.9 * m - learning_rate * gradient)
            self.assign_add(variable, m)
    ```
    """

    slot_names: tuple[str, ...] = ()
    elementwise = False

    def __init__(self, learning_rate=0.01, *, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None):
        if loss_scale_factor is not None or gradient_accumulation_steps:
            raise ValueError(f"loss_scale_factor and gradient_accumulation_steps are not supported; got "
                             f"loss_scale_factor={loss_scale_factor!r}, "
                             f"gradient_accumulation_steps={gradient_accumulation_steps!r}.")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(value is not None for value in clips.values()) > 1:
            raise ValueError(f"Only one of clipnorm, clipvalue and global_clipnorm can be set; got {clips}.")
        self._learning_rate = self._check_rate(learning_rate)
        self.weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True, optional=True)
        self.clipnorm = check_positive("clipnorm", clipnorm, optional=True)
        self.clipvalue = check_positive("clipvalue", clipvalue, optional=True)
        self.global_clipnorm = check_positive("global_clipnorm", global_clipnorm, optional=True)
        self.use_ema = bool(use_ema)
        self.ema_momentum = check_fraction("ema_momentum", ema_momentum, upper_inclusive=True)
        if ema_overwrite_frequency is not None and (isinstance(ema_overwrite_frequency, bool)
                                                    or not isinstance(ema_overwrite_frequency, int)
                                                    or ema_overwrite_frequency < 1):
            raise ValueError(f"ema_overwrite_frequency must be an integer >= 1 or None; "
                             f"got {ema_overwrite_frequency!r}.")
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.name = name
        self.iterations = 0
        self.last_learning_rate: float | None = None
        self.built = False
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._variables: list[Variable] = []
        self._variable_keys: list[str] = []
        self._slots: dict[str, list[Variable]] = {}
        self._flat_slots: dict[str, np.ndarray] = {}
        self._scratch = np.empty(0)

    # -- the learning rate -------------------------------------------------------------------
    @staticmethod
    def _check_rate(rate):
        if isinstance(rate, schedules.Schedule):
            return rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
                or not math.isfinite(rate) or rate < 0:
            raise ValueError(f"learning_rate must be a finite float >= 0 or a schedule; got {rate!r}.")
        return float(rate)

    @property
    def learning_rate(self):
        """The float rate or the schedule given at construction."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, rate):
        if isinstance(self._learning_rate, schedules.Schedule):
            raise TypeError(f"This optimizer's learning rate is the schedule {self._learning_rate!r}; "
                            f"it cannot be overwritten with {rate!r}.")
        self._learning_rate = self._check_rate(rate)

    def current_learning_rate(self) -> float:
        """The rate the next update will use; ValueError if a schedule gives a non-finite or negative one."""
        schedule = self._learning_rate
        if not isinstance(schedule, schedules.Schedule):
            return schedule
        try:
            rate = float(schedule(self.iterations))
        except OverflowError:
            rate = math.inf
        if not (math.isfinite(rate) and rate >= 0):
            raise ValueError(f"The schedule {schedule!r} gives the rate {rate} at update {self.iterations}; "
                             f"a learning rate must be finite and >= 0.")
        return rate

    # -- Keras' variable API -----------------------------------------------------------------
    def build(self, variables) -> None:
        """Record the variables to update (in order) and make the slots: the built-ins' `slot_names`
        (one flat array per slot when `elementwise`) and use_ema's average. A subclass adds its own
        slots after calling this."""
        variables = list(variables)
        self._trainable_variables = variables
        self._index = {id(variable): index for index, variable in enumerate(variables)}
        self._variables, self._variable_keys = [], []
        self.iterations = 0
        names = (*self.slot_names, AVERAGE) if self.use_ema else self.slot_names
        self._slots = {name: [self.add_variable_from_reference(v, name, self._slot_initializer(name, v))
                              for v in variables] for name in names}
        dtype = variables[0].value.dtype if variables else np.float32
        if self.elementwise:
            self._flat_slots = {name: pack(slots, dtype) for name, slots in self._slots.items()}
        self._scratch = np.empty(max((v.size for v in variables), default=0) if not self.elementwise
                                 else sum(v.size for v in variables), dtype=dtype)
        self.built = True

    def _slot_initializer(self, name: str, variable: Variable):
        """The first value of the slot `name` of `variable`: zeros (Adagrad's accumulator differs)."""
        return "zeros"

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation: str = "none",
                     name: str | None = None) -> Variable:
        """Keras' ``add_variable``: a new optimizer variable of `shape`, saved with the optimizer."""
        name = name or f"variable_{len(self._variables)}"
        return self._track(Variable(_initial_value(initializer), shape=tuple(shape), dtype=dtype, name=name,
                                    trainable=False), name)

    def add_variable_from_reference(self, reference_variable, name: str | None = None,
                                    initializer="zeros") -> Variable:
        """Keras' ``add_variable_from_reference``: a slot shaped like `reference_variable`, named
        ``"<name>/<reference path>"`` in saved files (``"..._1"``, ... after the first of one path: two
        layers of one name, in a model and a model nested in it)."""
        name = name or "slot"
        variable = Variable(_initial_value(initializer), shape=reference_variable.shape,
                            dtype=reference_variable.value.dtype,  # a float64 weight keeps float64 slots
                            name=f"{reference_variable.path.replace('/', '_')}_{name}", trainable=False)
        key, count = f"{name}/{reference_variable.path}", 0
        while key in self._variable_keys:
            count += 1
            key = f"{name}/{reference_variable.path}_{count}"
        return self._track(variable, key)

    def _track(self, variable: Variable, key: str) -> Variable:
        if key in self._variable_keys:
            raise ValueError(f"The optimizer already has a variable {key!r}.")
        self._variables.append(variable)
        self._variable_keys.append(key)
        return variable

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's own variables (its slots), in the order they were made."""
        return list(self._variables)

    def _get_variable_index(self, variable) -> int:
        """The position of `variable` among those given to `build` (Keras' lookup of a slot list)."""
        try:
            return self._index[id(variable)]
        except KeyError:
            raise ValueError(f"{getattr(variable, 'path', variable)!r} is not a variable this optimizer was built "
                             f"for.") from None

    def slot(self, variable, name: str) -> Variable:
        """The slot `name` (``"m"``, ``"velocity"``, ...) of `variable`."""
        return self._slots[name][self._get_variable_index(variable)]

    @staticmethod
    def assign(variable, value) -> None:
        variable.assign(value)

    @staticmethod
    def assign_add(variable, value) -> None:
        variable.assign_add(value)

    @staticmethod
    def assign_sub(variable, value) -> None:
        variable.assign_sub(value)

    # -- updates -----------------------------------------------------------------------------
    def update_step(self, gradient, variable, learning_rate) -> None:
        """Keras' per-variable update; the built-ins run `_update_arrays` on the variable's slots."""
        scratch = self._scratch[:variable.size].reshape(variable.shape)
        slots = [self.slot(variable, name).value for name in self.slot_names]
        self._update_arrays(variable.value, np.asarray(gradient), slots, learning_rate, scratch)

    def _update_arrays(self, value, gradient, slots, learning_rate, scratch) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable, "
                                  f"learning_rate).")

    def apply(self, grads, trainable_variables=None) -> float:
        """One update of every variable from its gradient (Keras' ``apply``); returns the rate used."""
        variables = self._trainable_variables if trainable_variables is None else list(trainable_variables)
        if not self.built:
            self.build(variables)
        grads = [np.array(g, dtype=v.value.dtype) for g, v in zip(grads, variables)]  # clipping works in place
        learning_rate = self._begin_update(grads, [v.value for v in variables], variables)
        for gradient, variable in zip(grads, variables):
            self.update_step(gradient, variable, learning_rate)
        self._end_update([v.value for v in variables], [s.value for s in self._slots.get(AVERAGE, [])], learning_rate)
        return learning_rate

    def apply_gradients(self, grads_and_vars) -> float:
        """Keras' ``apply_gradients([(gradient, variable), ...])``."""
        grads, variables = zip(*grads_and_vars)
        return self.apply(list(grads), list(variables))

    def _apply_packed(self, values: np.ndarray, grads: np.ndarray, grad_views: list[np.ndarray]) -> float:
        """`apply` for the training engine's flat arrays, laid out as the variables given to `build`."""
        learning_rate = self._begin_update(grad_views, [values], flat_grads=[grads])
        slots = [self._flat_slots[name] for name in self.slot_names]
        self._update_arrays(values, grads, slots, learning_rate, self._scratch)
        self._end_update([values], [self._flat_slots[AVERAGE]] if self.use_ema else [], learning_rate)
        return learning_rate

    def _begin_update(self, grads, values, variables=None, flat_grads=None) -> float:
        """Clip the gradients and decay the weights (Keras' order); returns this update's rate."""
        learning_rate = self.current_learning_rate()
        if self.global_clipnorm is not None:
            _scale_to_norm(grads, self.global_clipnorm)
        if self.clipnorm is not None:
            for grad in grads:
                _scale_to_norm([grad], self.clipnorm)
        if self.clipvalue is not None:
            for grad in flat_grads or grads:
                np.clip(grad, -self.clipvalue, self.clipvalue, out=grad)
        if self.weight_decay:
            self._decay(values, learning_rate, variables)
        return learning_rate

    def _decay(self, values, learning_rate, variables) -> None:
        """Decoupled weight decay, ``w -= w * weight_decay * lr`` (`variables`: those of `values`, or
        None for the flat array)."""
        for value in values:
            scratch = self._scratch[:value.size].reshape(value.shape)
            backend.axpy(-self.weight_decay * learning_rate, value, value, scratch)

    def _end_update(self, values, averages, learning_rate) -> None:
        """Keras' `use_ema` (``average = m * average + (1 - m) * w``, ``m`` = 0 at the first update;
        the weights take the average every `ema_overwrite_frequency` updates), then count the update."""
        momentum = self.ema_momentum if self.iterations else 0.0
        overwrite = self.ema_overwrite_frequency and (self.iterations + 1) % self.ema_overwrite_frequency == 0
        for value, average in zip(values, averages):
            average *= momentum
            backend.axpy(1.0 - momentum, value, average, self._scratch[:value.size].reshape(value.shape))
            if overwrite:
                value[...] = average
        self.iterations += 1
        self.last_learning_rate = learning_rate

    def finalize_variable_values(self, variables=None) -> None:
        """At the end of `fit`, with `use_ema`, the weights take their moving averages (as Keras)."""
        if self.use_ema and AVERAGE in self._slots:
            for variable, average in zip(variables or self._trainable_variables, self._slots[AVERAGE]):
                variable.assign(average.value)

    # -- state -------------------------------------------------------------------------------
    def save_own_variables(self, store: dict) -> None:
        """Put the whole state into `store`: ``"iterations"``, ``"last_learning_rate"`` and every
        slot under ``"<slot>/<variable path>"`` (Keras' method name; its keys are numbers)."""
        store["iterations"] = self.iterations
        store["last_learning_rate"] = self.last_learning_rate
        for key, variable in zip(self._variable_keys, self._variables):
            store[key] = variable.numpy()

    def own_variable_shapes(self) -> dict[str, tuple[int, ...]]:
        """``{key: shape}`` of the slots `save_own_variables` writes (so a reader checks before reading)."""
        return {key: variable.shape for key, variable in zip(self._variable_keys, self._variables)}

    def load_own_variables(self, store) -> None:
        """Restore what `save_own_variables` wrote; every slot is checked before any is changed."""
        shapes = self.own_variable_shapes()
        missing = [key for key in (*shapes, "iterations", "last_learning_rate") if key not in store]
        if missing:
            raise ValueError(f"The optimizer state lacks {missing[0]!r}.")
        for key, shape in shapes.items():
            if np.shape(store[key]) != shape:
                raise ValueError(f"The optimizer slot {key!r} has shape {np.shape(store[key])}; expected {shape}.")
        for key, variable in zip(self._variable_keys, self._variables):
            variable.assign(store[key])
        self.iterations = int(store["iterations"])
        self.last_learning_rate = store["last_learning_rate"]

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        rate = self._learning_rate
        config = {"learning_rate": serialize(rate) if isinstance(rate, schedules.Schedule) else rate}
        for key in ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "name"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        if self.use_ema:
            config.update(use_ema=True, ema_momentum=self.ema_momentum,
                          ema_overwrite_frequency=self.ema_overwrite_frequency)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Optimizer:
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.registry.from_config(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        return describe(serialize(self))


def _check_update_rule(cls: Any) -> None:
    if cls.update_step is Optimizer.update_step and cls._update_arrays is Optimizer._update_arrays:
        raise TypeError(f"{cls.__name__} cannot be registered as an optimizer: it does not implement update_step.")


registry = Registry("optimizer", Optimizer, check=_check_update_rule)


def _initial_value(initializer):
    """A slot's first value as `Variable` takes it, ``(shape, dtype) -> array``: from an
    `Initializer` or its name (drawn with a fixed generator: slots start deterministic), a
    number, or an array."""
    if isinstance(initializer, (str, initializers.Initializer)):
        chosen = initializers.get(initializer)
        return lambda shape, dtype: chosen.draw(shape, np.random.default_rng(0), dtype)
    return lambda shape, dtype: np.broadcast_to(np.asarray(initializer, dtype=dtype), shape).copy()


def _scale_to_norm(grads: list[np.ndarray], max_norm: float) -> None:
    """Scale `grads` in place so that their joint L2 norm is at most `max_norm` (NaN stays NaN, as in Keras)."""
    norm = math.sqrt(sum(float(np.dot(g.reshape(-1), g.reshape(-1))) for g in grads))
    if not norm <= max_norm:
        for grad in grads:
            grad *= max_norm / norm


def check_fraction(name: str, value: float, upper_inclusive: bool = False) -> float:
    ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not ok:
        raise ValueError(f"{name} must be in [0, 1{']' if upper_inclusive else ')'}; got {value!r}.")
    return float(value)


def moving_average(average, value, beta, scratch):
    """``average = beta * average + (1 - beta) * value``, in place, as Keras writes it."""
    np.subtract(value, average, out=scratch)
    scratch *= 1.0 - beta
    average += scratch


def moving_square_average(average, grad, beta, scratch):
    """``average = beta * average + (1 - beta) * grad^2``, in place."""
    np.multiply(grad, grad, out=scratch)
    scratch -= average
    scratch *= 1.0 - beta
    average += scratch
