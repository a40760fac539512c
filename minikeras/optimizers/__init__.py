"""Optimizers: they own every parameter update (layers only compute gradients).

An optimizer is bound to a model's trainable arrays at ``compile`` (`build`), keeps its
per-parameter slots (velocities, moments) in named lists aligned with them, and counts its
updates in `iterations`. The learning rate is a float or a `Schedule` called with that count.
"""
from __future__ import annotations

import math
import re

import numpy as np

from .. import backend, schedules
from ..checks import check_positive
from ..registry import Registry, describe, serialize

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "AdamW", "Adamax", "Nadam", "Lamb", "ScheduleFreeAdamW", "Muon",
           "Adafactor", "Ftrl", "Adagrad", "Adadelta", "Lion", "RMSprop", "newton_schulz_orthogonalize", "get",
           "deserialize", "registry"]


class Optimizer:
    """Base class.

    Subclasses set `slot_names` and implement ``update_step(param, grad, slots, lr, scratch)``,
    which changes `param` in place. `scratch` is a reusable array shaped like `param`.

    Keras' common arguments, applied before every update in Keras' order: `clipnorm` scales each
    variable's gradient down to that L2 norm, `global_clipnorm` scales all gradients down to that
    total L2 norm, `clipvalue` clips each gradient entry to
    ``[-clipvalue, clipvalue]``, then `weight_decay` decays every weight, ``w -= w * weight_decay * lr``
    (decoupled from the gradient, as AdamW). With `use_ema`, a moving average of the weights is
    kept after each update, copied into them every `ema_overwrite_frequency` updates and at the
    end of `fit` (`finalize_variable_values`).
    """

    slot_names: tuple[str, ...] = ()

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
        self.ema_momentum = _check_fraction("ema_momentum", ema_momentum, upper_inclusive=True)
        if ema_overwrite_frequency is not None and (isinstance(ema_overwrite_frequency, bool)
                                                    or not isinstance(ema_overwrite_frequency, int)
                                                    or ema_overwrite_frequency < 1):
            raise ValueError(f"ema_overwrite_frequency must be an integer >= 1 or None; "
                             f"got {ema_overwrite_frequency!r}.")
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.name = name
        self.iterations = 0
        self.last_learning_rate: float | None = None
        self.slots: dict[str, list[np.ndarray]] = {}
        self._scratch: list[np.ndarray] = []

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

    def build(self, params: list[np.ndarray], variable_sizes: list[int] | None = None,
              variable_shapes: list[tuple[int, ...]] | None = None, variable_names: list[str] | None = None) -> None:
        """Create the slots for `params` and reset the update count.

        `variable_sizes` (or `variable_shapes`) splits a single flat `params[0]` into the model's
        variables (for `clipnorm`, which Keras applies per variable, Lamb's trust ratios, Muon's
        matrices); by default every array of `params` is one variable. `variable_names`
        (``"dense/kernel"``) are Keras' variable paths, which Muon's `exclude_layers` match.
        """
        self.iterations = 0
        names = (*self.slot_names, "average") if self.use_ema else self.slot_names
        self.slots = {name: [self._initial_slot(name, p) for p in params] for name in names}
        self._scratch = [np.empty_like(p) for p in params]
        if variable_shapes is not None:
            variable_sizes = [math.prod(shape) for shape in variable_shapes]
        self._split_points = None if variable_sizes is None else np.cumsum(variable_sizes)[:-1]
        self.variable_shapes = None if variable_shapes is None else [tuple(shape) for shape in variable_shapes]
        self.variable_names = None if variable_names is None else list(variable_names)

    def _initial_slot(self, name: str, param: np.ndarray) -> np.ndarray:
        """A new slot `name` for `param`: zeros (Adagrad starts its accumulator elsewhere)."""
        return np.zeros_like(param)

    def _variables(self, grads: list[np.ndarray]) -> list[np.ndarray]:
        """Views of `grads`, one per model variable."""
        if self._split_points is None:
            return list(grads)
        (flat,) = grads
        return self._variable_views(flat)

    def _variable_views(self, array: np.ndarray) -> list[np.ndarray]:
        """Views of one array handed to `update_step` (the flat array of a model's weights, or of a
        slot or the scratch), one per model variable."""
        return [array] if self._split_points is None else np.split(array, self._split_points)

    def _variable_shapes(self, param: np.ndarray) -> list[tuple[int, ...]]:
        """The shapes of the variables in `param`, as `_variable_views` cuts it (flat when not given)."""
        if self._split_points is None:
            return [param.shape]
        return self.variable_shapes or [(view.size,) for view in self._variable_views(param)]

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray]) -> float:
        """One update of every param from its grad; returns the learning rate used."""
        lr = self.current_learning_rate()
        if self.clipnorm is not None or self.global_clipnorm is not None or self.clipvalue is not None:
            self._clip(grads)
        if self.weight_decay:
            self._decay(params, lr)
        for i, (param, grad) in enumerate(zip(params, grads)):
            slots = [self.slots[name][i] for name in self.slot_names]
            self.update_step(param, grad, slots, lr, self._scratch[i])
        if self.use_ema:
            self._update_averages(params)
        self.iterations += 1
        self.last_learning_rate = lr
        return lr

    def _clip(self, grads) -> None:
        """Clip the gradients in place (before the weights decay: Keras' order)."""
        if self.global_clipnorm is not None:
            _scale_to_norm(grads, self.global_clipnorm)
        if self.clipnorm is not None:
            for grad in self._variables(grads):
                _scale_to_norm([grad], self.clipnorm)
        if self.clipvalue is not None:
            for grad in grads:
                np.clip(grad, -self.clipvalue, self.clipvalue, out=grad)

    def _decay(self, params, lr) -> None:
        """Decoupled weight decay, ``w -= w * weight_decay * lr``."""
        for param, scratch in zip(params, self._scratch):
            backend.axpy(-self.weight_decay * lr, param, param, scratch)

    def _update_averages(self, params) -> None:
        """Keras' `use_ema`: ``average = m * average + (1 - m) * w`` (``m`` = 0 at the first update, so
        it starts at ``w``); every `ema_overwrite_frequency` updates the weights take the average."""
        momentum = self.ema_momentum if self.iterations else 0.0
        overwrite = self.ema_overwrite_frequency and (self.iterations + 1) % self.ema_overwrite_frequency == 0
        for param, average, scratch in zip(params, self.slots["average"], self._scratch):
            average *= momentum
            backend.axpy(1.0 - momentum, param, average, scratch)
            if overwrite:
                param[...] = average

    def finalize_variable_values(self, params: list[np.ndarray]) -> None:
        """At the end of `fit`, with `use_ema`, the weights take their moving averages (as Keras)."""
        if self.use_ema and "average" in self.slots:
            for param, average in zip(params, self.slots["average"]):
                param[...] = average

    def update_step(self, param, grad, slots, lr, scratch):
        raise NotImplementedError

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
    def from_config(cls, config: dict) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.registry.from_config(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        return describe(serialize(self))


registry = Registry("optimizer", Optimizer, required=("update_step",))


def _scale_to_norm(grads: list[np.ndarray], max_norm: float) -> None:
    """Scale `grads` in place so that their joint L2 norm is at most `max_norm` (NaN stays NaN, as in Keras)."""
    norm = math.sqrt(sum(float(np.dot(g.reshape(-1), g.reshape(-1))) for g in grads))
    if not norm <= max_norm:
        for grad in grads:
            grad *= max_norm / norm


def _check_fraction(name: str, value: float, upper_inclusive: bool = False) -> float:
    ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not ok:
        raise ValueError(f"{name} must be in [0, 1{']' if upper_inclusive else ')'}; got {value!r}.")
    return float(value)


@registry.register("sgd")
class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum, as Keras.

    Plain: $w \leftarrow w - \eta g$. Momentum $\mu$: $v \leftarrow \mu v - \eta g$, $w \leftarrow w + v$.
    Nesterov: $v \leftarrow \mu v - \eta g$, $w \leftarrow w + \mu v - \eta g$.

    Examples
    --------
    >>> SGD(learning_rate=0.1, momentum=0.9)
    SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **options):
        super().__init__(learning_rate, **options)
        self.momentum = _check_fraction("SGD momentum", momentum)
        self.nesterov = bool(nesterov)
        self.slot_names = ("velocity",) if self.momentum > 0 else ()

    def update_step(self, param, grad, slots, lr, scratch):
        if not slots:
            backend.axpy(-lr, grad, param, scratch)
            return
        (velocity,) = slots
        velocity *= self.momentum
        backend.axpy(-lr, grad, velocity, scratch)
        if self.nesterov:
            backend.axpy(self.momentum, velocity, param, scratch)
            backend.axpy(-lr, grad, param, scratch)
        else:
            backend.axpy(1.0, velocity, param, scratch)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@registry.register("momentum")
class Momentum(SGD):
    """SGD with momentum 0.9 by default: ``v = momentum * v - lr * g; w += v``."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.9, nesterov: bool = False, **options):
        super().__init__(learning_rate, momentum, nesterov, **options)


def _moving_average(average, value, beta, scratch):
    """``average = beta * average + (1 - beta) * value``, in place, as Keras writes it."""
    np.subtract(value, average, out=scratch)
    scratch *= 1.0 - beta
    average += scratch


def _moving_square_average(average, grad, beta, scratch):
    """``average = beta * average + (1 - beta) * grad^2``, in place."""
    np.multiply(grad, grad, out=scratch)
    scratch -= average
    scratch *= 1.0 - beta
    average += scratch


class _AdamFamily(Optimizer):
    """Shared constructor and config of Adam, Adamax and Nadam: `beta_1`, `beta_2`, `epsilon`."""

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.beta_1 = _check_fraction(f"{type(self).__name__} beta_1", beta_1)
        self.beta_2 = _check_fraction(f"{type(self).__name__} beta_2", beta_2)
        self.epsilon = float(epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@registry.register("adam")
class Adam(_AdamFamily):
    r"""Adam (Kingma & Ba 2014) in Keras' form, with $t$ the 1-based update count:

    $$
    m \leftarrow m + (1 - \beta_1)(g - m), \quad v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad
    w \leftarrow w - \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m}{\sqrt{v} + \epsilon}
    $$

    With `amsgrad`, $\hat{v} = \max(\hat{v}, v)$ takes the place of $v$ in the last step.
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **options):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **options)
        self.amsgrad = bool(amsgrad)
        self.slot_names = ("m", "v", "v_hat") if self.amsgrad else ("m", "v")
        self._correction = 1.0  # lr multiplier sqrt(1 - beta_2^t) / (1 - beta_1^t) of the current update

    def apply(self, params, grads):
        t = self.iterations + 1
        self._correction = math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        return super().apply(params, grads)

    def update_step(self, param, grad, slots, lr, scratch):
        m, v = slots[:2]
        _moving_average(m, grad, self.beta_1, scratch)
        _moving_square_average(v, grad, self.beta_2, scratch)
        if self.amsgrad:
            v = np.maximum(slots[2], v, out=slots[2])
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= lr * self._correction
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


@registry.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), Keras' default ``weight_decay=0.004``:
    every update first does ``w -= w * weight_decay * lr``, then Adam's step."""

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **options):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay (a float >= 0); got None. Use Adam for no decay.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **options)


@registry.register("adamax")
class Adamax(_AdamFamily):
    r"""Adamax, Adam's infinity-norm variant, in Keras' form:

    $$
    m \leftarrow m + (1 - \beta_1)(g - m), \quad u \leftarrow \max(\beta_2 u, \lvert g \rvert), \quad
    w \leftarrow w - \eta \frac{m}{(1 - \beta_1^t)(u + \epsilon)}
    $$
    """

    slot_names = ("m", "u")


    def update_step(self, param, grad, slots, lr, scratch):
        m, u = slots
        _moving_average(m, grad, self.beta_1, scratch)
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=scratch), out=u)
        np.add(u, self.epsilon, out=scratch)
        np.divide(m, scratch, out=scratch)
        scratch *= lr / (1.0 - self.beta_1 ** (self.iterations + 1))
        param -= scratch


@registry.register("nadam")
class Nadam(_AdamFamily):
    r"""Adam with Nesterov momentum (Dozat 2016) in Keras' form, with $t$ the 1-based update count,
    $\mu_k = \beta_1 (1 - 0.5 \cdot 0.96^k)$ and $P_t = \mu_1 \cdots \mu_t$:

    $$
    m \leftarrow m + (1 - \beta_1)(g - m), \quad v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad
    \hat{m} = \frac{\mu_{t+1} m}{1 - P_t \mu_{t+1}} + \frac{(1 - \mu_t) g}{1 - P_t}, \quad
    w \leftarrow w - \eta \frac{\hat{m}}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}
    $$

    $P_t$ follows from the update count, so a saved optimizer resumes exactly.
    """

    slot_names = ("m", "v")
    _product = (0, 1.0)  # (t, P_t), extended one factor per update; recomputed after a resume

    def _mu(self, k: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** k)

    def _mu_product(self, t: int) -> float:
        done, product = self._product
        if done > t:
            done, product = 0, 1.0
        for k in range(done + 1, t + 1):
            product *= self._mu(k)
        self._product = (t, product)
        return product

    def update_step(self, param, grad, slots, lr, scratch):
        m, v = slots
        t = self.iterations + 1
        mu_t, mu_next, product = self._mu(t), self._mu(t + 1), self._mu_product(t)
        _moving_average(m, grad, self.beta_1, scratch)
        _moving_square_average(v, grad, self.beta_2, scratch)
        np.multiply(v, 1.0 / (1.0 - self.beta_2 ** t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.reciprocal(scratch, out=scratch)
        # param -= lr * (a * m + b * g) / (sqrt(v_hat) + eps), with scratch holding the reciprocal
        param -= (lr * mu_next / (1.0 - product * mu_next)) * m * scratch
        param -= (lr * (1.0 - mu_t) / (1.0 - product)) * grad * scratch


@registry.register("lamb")
class Lamb(_AdamFamily):
    """LAMB (You et al. 2019) in Keras' form: Adam's direction
    ``u = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon)`` (moments as Adam), scaled per
    variable by the trust ratio ``r = |w| / |u|`` (1 when either norm is 0): ``w -= lr * r * u``."""

    slot_names = ("m", "v")

    def update_step(self, param, grad, slots, lr, scratch):
        m, v = slots
        t = self.iterations + 1
        _moving_average(m, grad, self.beta_1, scratch)
        _moving_square_average(v, grad, self.beta_2, scratch)
        np.multiply(v, 1.0 / (1.0 - self.beta_2 ** t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= 1.0 / (1.0 - self.beta_1 ** t)
        for weights, update in zip(self._variable_views(param), self._variable_views(scratch)):
            weight_norm, update_norm = np.linalg.norm(weights), np.linalg.norm(update)
            update *= lr * (weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0)
        param -= scratch


@registry.register("schedule_free_adamw")
class ScheduleFreeAdamW(_AdamFamily):
    r"""Schedule-free AdamW (Defazio et al. 2024) in Keras' form. The weights $y$ interpolate
    between the gradient sequence $z$ (slot `momentum`, starting at the weights) and its running
    average $x$; with $t$ the 1-based update count and the rate $\eta$ ramped up linearly over
    `warmup_steps`:

    $$
    v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad
    z' = z - \eta \frac{g}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}, \quad
    x = \frac{y - (1 - \beta_1) z}{\beta_1}, \quad
    x' = \left(1 - \tfrac{1}{t}\right) x + \tfrac{1}{t} z', \quad
    y \leftarrow (1 - \beta_1) z' + \beta_1 x'
    $$

    (Keras keeps $y$ in the weights at evaluation too, so no swap is needed.)
    """

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.0025, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 warmup_steps: int = 0, **options):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **options)
        if not self.beta_1 > 0:
            raise ValueError(f"ScheduleFreeAdamW beta_1 must be in (0, 1) (it divides); got {beta_1!r}.")
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(f"ScheduleFreeAdamW warmup_steps must be an int >= 0; got {warmup_steps!r}.")
        self.warmup_steps = warmup_steps

    def _initial_slot(self, name, param):
        return param.copy() if name == "momentum" else np.zeros_like(param)

    def update_step(self, param, grad, slots, lr, scratch):
        z, v = slots
        t = self.iterations + 1
        if self.warmup_steps:
            lr *= min(t / self.warmup_steps, 1.0)
        _moving_square_average(v, grad, self.beta_2, scratch)
        # x, the average, from the weights and the old z: x = (y - (1 - beta_1) z) / beta_1
        average = (param - (1.0 - self.beta_1) * z) / self.beta_1
        np.multiply(v, 1.0 / (1.0 - self.beta_2 ** t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        z -= scratch
        average *= 1.0 - 1.0 / t
        average += z / t
        np.multiply(z, 1.0 - self.beta_1, out=param)
        average *= self.beta_1
        param += average

    def get_config(self):
        return {**super().get_config(), "warmup_steps": self.warmup_steps}


def newton_schulz_orthogonalize(matrix: np.ndarray, steps: int, a: float, b: float, c: float) -> np.ndarray:
    """Muon's approximation of ``U V^T`` for ``matrix = U S V^T``: scaled to unit Frobenius norm,
    then `steps` quintic iterations ``A = X X^T;  X = a X + (b A + c A A) X`` on the wide
    orientation (a tall matrix is transposed first and back after)."""
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


@registry.register("muon")
class Muon(Optimizer):
    r"""Muon (Jordan et al. 2024) in Keras' form: each 2-D kernel follows the orthogonalized momentum,
    every other variable (biases, BatchNorm's, and kernels whose path matches `exclude_layers`)
    AdamW with `adam_beta_1`, `adam_beta_2`, `epsilon` and the rate $\eta \cdot$ `adam_lr_ratio`.
    For a kernel, with $\mu$ = `momentum` and NS the Newton-Schulz iteration
    (`newton_schulz_orthogonalize`):

    $$
    m \leftarrow \mu m + g, \quad G = g + \mu m \ \text{(nesterov) or } m, \quad
    W \leftarrow W - \eta\, \mathrm{NS}(G) \sqrt{\max(\text{rows}, \text{cols})}\, r
    $$

    with $r$ = `rms_rate`.

    Weight decay: `weight_decay` on the Muon kernels, `adam_weight_decay` on the AdamW variables.
    The variables' shapes and paths come from the model (`build`).
    """

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, adam_beta_1: float = 0.9, adam_beta_2: float = 0.999,
                 adam_weight_decay: float = 0.004, epsilon: float = 1e-7, weight_decay: float = 0.004,
                 exclude_layers=None, exclude_embeddings: bool = True, muon_a: float = 3.4445,
                 muon_b: float = -4.7750, muon_c: float = 2.0315, adam_lr_ratio: float = 1.0,
                 momentum: float = 0.95, ns_steps: int = 5, nesterov: bool = True, rms_rate: float | None = 0.2,
                 **options):
        super().__init__(learning_rate, weight_decay=weight_decay, **options)
        self.adam_beta_1 = _check_fraction("Muon adam_beta_1", adam_beta_1)
        self.adam_beta_2 = _check_fraction("Muon adam_beta_2", adam_beta_2)
        self.adam_weight_decay = check_positive("Muon adam_weight_decay", adam_weight_decay, allow_zero=True,
                                                optional=True)
        self.epsilon = float(epsilon)
        if exclude_layers is not None and (isinstance(exclude_layers, str)
                                           or not all(isinstance(k, str) for k in exclude_layers)):
            raise ValueError(f"Muon exclude_layers must be a list of regular expressions; got {exclude_layers!r}.")
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = bool(exclude_embeddings)
        self.muon_a, self.muon_b, self.muon_c = float(muon_a), float(muon_b), float(muon_c)
        self.adam_lr_ratio = check_positive("Muon adam_lr_ratio", adam_lr_ratio, allow_zero=True)
        self.momentum = _check_fraction("Muon momentum", momentum)
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"Muon ns_steps must be an int >= 0; got {ns_steps!r}.")
        self.ns_steps = ns_steps
        self.nesterov = bool(nesterov)
        self.rms_rate = check_positive("Muon rms_rate", rms_rate, allow_zero=True, optional=True)

    def uses_adamw(self, shape, path) -> bool:
        """Whether the variable of `shape` at `path` (``"dense/kernel"``, or None) takes AdamW steps."""
        if len(shape) != 2:
            return True
        path = path or ""
        return (self.exclude_embeddings and "embedding" in path.lower()) or any(
            re.search(pattern, path) for pattern in self.exclude_layers)

    def _layout(self, param):
        """``(shape, uses AdamW)`` of each variable in `param` (the model's flat array, or one array)."""
        shapes = self._variable_shapes(param)
        names = self.variable_names if self._split_points is not None and self.variable_names else [None] * len(shapes)
        return [(shape, self.uses_adamw(shape, name)) for shape, name in zip(shapes, names)]

    def _decay(self, params, lr) -> None:
        for param in params:
            for weights, (_, adamw) in zip(self._variable_views(param), self._layout(param)):
                decay = self.adam_weight_decay if adamw else self.weight_decay
                if decay:
                    weights -= weights * (decay * lr)

    def update_step(self, param, grad, slots, lr, scratch):
        t = self.iterations + 1
        views = zip(*(self._variable_views(array) for array in (param, grad, *slots)), self._layout(param))
        for weights, g, m, v, (shape, adamw) in views:
            if adamw:
                _moving_average(m, g, self.adam_beta_1, scratch[:g.size])
                _moving_square_average(v, g, self.adam_beta_2, scratch[:g.size])
                rate = lr * self.adam_lr_ratio * math.sqrt(1.0 - self.adam_beta_2 ** t) / (1.0 - self.adam_beta_1 ** t)
                weights -= rate * m / (np.sqrt(v) + self.epsilon)
                continue
            m += g + m * (self.momentum - 1.0)
            direction = g + self.momentum * m if self.nesterov else m
            update = newton_schulz_orthogonalize(direction.reshape(shape), self.ns_steps, self.muon_a, self.muon_b,
                                                 self.muon_c)
            if self.rms_rate is not None:
                update = update * (math.sqrt(max(shape)) * self.rms_rate)
            weights -= lr * update.reshape(-1)

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}


@registry.register("adafactor")
class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern 2018) in Keras' form, with $t$ the 1-based update count and
    $\operatorname{rms}(a) = \sqrt{\overline{a^2}}$:

    $$
    \rho = \min(\eta, 1 / \sqrt{t}), \quad \alpha = \max(\epsilon_2, \operatorname{rms}(w))\, \rho, \quad
    \beta = 1 - t^{d}, \quad G = g^2 + \epsilon_1
    $$

    with $d$ = `beta_2_decay`. For a matrix (the last two axes), row and column means of $G$:
    $r \leftarrow \beta r + (1 - \beta) \overline{G}_{\text{rows}}$,
    $c \leftarrow \beta c + (1 - \beta) \overline{G}_{\text{cols}}$, $v = (r / \bar{r})\, c^\top$; for any
    other variable $v \leftarrow \beta v + (1 - \beta) G$. Then $u = g / \sqrt{v}$ and
    $w \leftarrow w - \alpha\, u / \max(1, \operatorname{rms}(u) / c_{\text{clip}})$ for
    $c_{\text{clip}}$ = `clip_threshold`.

    With `relative_step` and a float rate, the rate itself is also capped at $1 / \sqrt{t}$. The
    factored statistics $r$ and $c$ are kept in slots shaped like the weights ($r$ in the first
    column, $c$ in the first row), so that they are saved and resumed as every slot; this gives up
    Adafactor's memory saving, not its updates.
    """

    slot_names = ("r", "c", "v")

    def __init__(self, learning_rate=0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True, **options):
        super().__init__(learning_rate, **options)
        if not beta_2_decay < 0:
            raise ValueError(f"Adafactor beta_2_decay must be < 0; got {beta_2_decay!r}.")
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = check_positive("Adafactor epsilon_1", epsilon_1, allow_zero=True)
        self.epsilon_2 = check_positive("Adafactor epsilon_2", epsilon_2, allow_zero=True)
        self.clip_threshold = check_positive("Adafactor clip_threshold", clip_threshold)
        self.relative_step = bool(relative_step)

    def update_step(self, param, grad, slots, lr, scratch):
        t = self.iterations + 1
        if self.relative_step and not isinstance(self.learning_rate, schedules.Schedule):
            lr = min(lr, 1.0 / math.sqrt(t))
        rho = min(lr, 1.0 / math.sqrt(t))
        beta = 1.0 - t ** self.beta_2_decay
        views = zip(*(self._variable_views(array) for array in (param, grad, *slots)), self._variable_shapes(param))
        for weights, g, r_slot, c_slot, v, shape in views:
            alpha = max(self.epsilon_2, math.sqrt(np.mean(np.square(weights)))) * rho
            squared = np.square(g) + self.epsilon_1
            if len(shape) >= 2:
                squared = squared.reshape(shape)
                r, c = r_slot.reshape(shape)[..., 0], c_slot.reshape(shape)[..., 0, :]
                r[...] = beta * r + (1.0 - beta) * squared.mean(axis=-1)
                c[...] = beta * c + (1.0 - beta) * squared.mean(axis=-2)
                v[...] = ((r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]).reshape(-1)
            else:
                v[...] = beta * v + (1.0 - beta) * squared
            update = g / np.sqrt(v)
            update /= max(1.0, math.sqrt(np.mean(np.square(update))) / self.clip_threshold)
            weights -= alpha * update

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}


@registry.register("ftrl")
class Ftrl(Optimizer):
    r"""FTRL-Proximal (McMahan et al. 2013) in Keras' form, with $p$ = `-learning_rate_power`,
    $\ell_1$, $\ell_2$, $s$ the three regularization strengths and $\beta$ = `beta`:

    $$
    g' = g + 2 s w, \quad n' = n + g^2, \quad z \leftarrow z + g' - \frac{n'^p - n^p}{\eta} w, \quad
    w = \frac{\operatorname{clip}(z, -\ell_1, \ell_1) - z}{n'^p / \eta + 2 (\ell_2 + \beta / (2 \eta))},
    \quad n \leftarrow n'
    $$
    """

    slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power: float = -0.5, initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0, l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0, **options):
        super().__init__(learning_rate, **options)
        if not learning_rate_power <= 0:
            raise ValueError(f"Ftrl learning_rate_power must be <= 0; got {learning_rate_power!r}.")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = check_positive("Ftrl initial_accumulator_value", initial_accumulator_value,
                                                        allow_zero=True)
        strengths = {"l1_regularization_strength": l1_regularization_strength,
                     "l2_regularization_strength": l2_regularization_strength,
                     "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength, "beta": beta}
        for name, value in strengths.items():
            setattr(self, name, check_positive(f"Ftrl {name}", value, allow_zero=True))

    def _initial_slot(self, name, param):
        return np.full_like(param, self.initial_accumulator_value if name == "accumulator" else 0.0)

    def update_step(self, param, grad, slots, lr, scratch):
        accumulator, linear = slots
        power = -self.learning_rate_power
        new_accumulator = accumulator + grad * grad
        linear += grad + 2.0 * self.l2_shrinkage_regularization_strength * param
        linear -= (new_accumulator ** power - accumulator ** power) / lr * param
        quadratic = new_accumulator ** power / lr + 2.0 * (self.l2_regularization_strength + self.beta / (2.0 * lr))
        l1 = self.l1_regularization_strength
        np.clip(linear, -l1, l1, out=scratch)
        scratch -= linear
        np.divide(scratch, quadratic, out=param)
        accumulator[...] = new_accumulator

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength, "beta": self.beta}


@registry.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011) in Keras' form: the accumulator starts at `initial_accumulator_value`,
    ``acc += g^2; w -= lr * g / sqrt(acc + epsilon)``."""

    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **options):
        super().__init__(learning_rate, **options)
        self.initial_accumulator_value = check_positive("Adagrad initial_accumulator_value", initial_accumulator_value,
                                                        allow_zero=True)
        self.epsilon = float(epsilon)

    def _initial_slot(self, name, param):
        return np.full_like(param, self.initial_accumulator_value)

    def update_step(self, param, grad, slots, lr, scratch):
        (accumulator,) = slots
        np.multiply(grad, grad, out=scratch)
        accumulator += scratch
        np.add(accumulator, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@registry.register("adadelta")
class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012) in Keras' form:

    $$
    a_g \leftarrow \rho a_g + (1 - \rho) g^2, \quad
    \delta = -\frac{\sqrt{a_\delta + \epsilon}}{\sqrt{a_g + \epsilon}} g, \quad
    a_\delta \leftarrow \rho a_\delta + (1 - \rho) \delta^2, \quad w \leftarrow w + \eta \delta
    $$
    """

    slot_names = ("accumulated_grad", "accumulated_delta")

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.rho = _check_fraction("Adadelta rho", rho)
        self.epsilon = float(epsilon)

    def update_step(self, param, grad, slots, lr, scratch):
        accumulated_grad, accumulated_delta = slots
        _moving_square_average(accumulated_grad, grad, self.rho, scratch)
        delta = np.sqrt(accumulated_delta + self.epsilon)
        delta *= grad
        np.add(accumulated_grad, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        delta /= scratch  # the step with its sign flipped: -delta of the formula
        _moving_square_average(accumulated_delta, delta, self.rho, scratch)
        delta *= lr
        param -= delta

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


@registry.register("lion")
class Lion(Optimizer):
    """Lion (Chen et al. 2023) in Keras' form: ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g);
    m = beta_2 * m + (1 - beta_2) * g``."""

    slot_names = ("m",)

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **options):
        super().__init__(learning_rate, **options)
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(f"Lion beta_1 must be in (0, 1] (at 0 it is sign SGD); got {beta_1!r}.")
        self.beta_1 = float(beta_1)
        self.beta_2 = _check_fraction("Lion beta_2", beta_2)

    def update_step(self, param, grad, slots, lr, scratch):
        (m,) = slots
        np.multiply(m, self.beta_1, out=scratch)
        scratch += (1.0 - self.beta_1) * grad
        np.sign(scratch, out=scratch)
        scratch *= lr
        param -= scratch
        _moving_average(m, grad, self.beta_2, scratch)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}


@registry.register("rmsprop")
class RMSprop(Optimizer):
    r"""RMSprop (Hinton 2012) in Keras' form:

    $$
    v \leftarrow \rho v + (1 - \rho) g^2, \quad \Delta = \eta \frac{g}{\sqrt{v + \epsilon}}, \quad
    w \leftarrow w - \Delta
    $$

    `centered`: $a \leftarrow \rho a + (1 - \rho) g$ and the root is of $v - a^2 + \epsilon$;
    `momentum` $\mu$: $s \leftarrow \mu s + \Delta$, $w \leftarrow w - s$.
    """

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **options):
        super().__init__(learning_rate, **options)
        self.rho = _check_fraction("RMSprop rho", rho)
        self.momentum = _check_fraction("RMSprop momentum", momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)
        self.slot_names = ("velocity",) + (("average_grad",) if self.centered else ()) \
            + (("momentum",) if self.momentum > 0 else ())

    def update_step(self, param, grad, slots, lr, scratch):
        velocity, *rest = slots
        velocity *= self.rho
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.rho
        velocity += scratch
        if self.centered:
            average_grad = rest.pop(0)
            _moving_average(average_grad, grad, self.rho, scratch)
            np.multiply(average_grad, average_grad, out=scratch)
            np.subtract(velocity, scratch, out=scratch)
            scratch += self.epsilon
        else:
            np.add(velocity, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        if rest:
            (momentum,) = rest
            momentum *= self.momentum
            momentum += scratch
            scratch = momentum
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


def get(spec) -> Optimizer:
    """An optimizer by Keras name (``"sgd" "adam" "adamw" "rmsprop" "adagrad" "adadelta" "adamax" "nadam"
    "lion" "lamb" "ftrl" "schedule_free_adamw" "muon" "adafactor"``, plus the courses' ``"momentum"``; Keras defaults), a class or an instance."""
    return registry.get(spec)


def deserialize(config: dict) -> Optimizer:
    """An optimizer from ``{"class_name": ..., "config": {...}}``, as `serialize` or Keras' own writes it."""
    return registry.from_config(config)
