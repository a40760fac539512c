"""Model / Sequential: a stack of layers with Keras' build, compile, fit, evaluate, predict."""
from __future__ import annotations

import re

import numpy as np

from . import gradcheck, losses, metrics as metrics_module, optimizers, regularizers, saving, seeding
from .callbacks.base import CallbackList
from .callbacks.history import History
from .callbacks.progress import ProgressBar
from .checks import check_int, is_int
from .data_utils import BatchGatherer, Dataset, check_inputs, split_validation
from .engine import Engine
from .layers import activations
from .layers.base import Layer, registry as layer_registry
from .layers.batchnorm import BatchNorm
from .layers.dense import Dense
from .layers.dropout import Dropout
from .registry import serialize
from .summary import print_summary


def _snake_case(name: str) -> str:
    """``BatchNorm -> batch_norm``, ``LeakyReLU -> leaky_relu``, ``ReLU -> relu``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z][a-z])", "_", name).lower()


class Model:
    """A sequential stack of layers.

    Parameters
    ----------
    input_dim : int or tuple of int, optional
        Per-sample input shape (``3072`` or ``(28, 28)``); inferred from the first data seen if omitted.
    layers : list of Layer, optional
        Layers to add in order.
    seed : int, optional
        Seed of the model's generator (initialization, shuffling, splits, dropout).
    dtype : ``"float32"`` (default) or ``"float64"``
        Dtype of every parameter, activation and gradient.

    >>> model = Model(input_dim=4, seed=0)
    >>> model.add_layer(8, "relu")
    >>> model.add_layer(3, "softmax")
    >>> model.predict(np.ones((2, 4), dtype="float32")).shape
    (2, 3)

    Every numeric pass runs in the model's `engine` (`minikeras.engine.Engine`).
    """

    def __init__(self, input_dim: int | tuple[int, ...] | None = None, layers: list[Layer] | None = None,
                 *, seed: int | None = None, dtype: str = "float32", name: str | None = None):
        # longdouble is accepted for check_gradients, which computes in the widest float there is.
        if np.dtype(dtype) not in (np.float32, np.float64, np.longdouble):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
        self.dtype = np.dtype(dtype)
        self.seed = seed
        self.name = name or "sequential"
        self.layers: list[Layer] = []
        self.input_shape = None if input_dim is None else self._check_input_dim(input_dim)
        self._rng = seeding.model_generator(seed)
        # Validation splits draw from their own seed, so a resumed fit holds out the same samples.
        self._split_seed = int(self._rng.integers(2**63))
        self.optimizer = None
        self.loss = None
        self.metrics: list[metrics_module.Metric] = []
        self.stop_training = False
        self.history: History | None = None
        self.epoch = 0  # epochs completed by fit so far (saved with the model)
        self._name_counts: dict[str, int] = {}
        self._engine: Engine | None = None
        for layer in layers or []:
            self.add(layer)

    # -- building ----------------------------------------------------------------------------
    @staticmethod
    def _check_input_dim(input_dim) -> tuple[int, ...]:
        shape = (input_dim,) if isinstance(input_dim, (int, np.integer)) else tuple(input_dim)
        if not shape or not all(is_int(d, 1) for d in shape):
            raise ValueError(f"input_dim must be a positive integer or a tuple of them; got {input_dim!r}.")
        return tuple(int(d) for d in shape)

    def add(self, layer: Layer) -> None:
        """Append a layer instance (built at once when the input shape is known)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"Model.add expects a Layer instance; got {layer!r}. "
                            f"Use add_layer(units, activation) to add a Dense layer by size.")
        if layer.built:
            raise ValueError(f"Layer {layer.name!r} is already built (part of another model); "
                             f"create a new instance.")
        self._name_layer(layer)
        if self.input_shape is not None:
            self._build_layer(layer, len(self.layers))  # a layer that cannot be built is not added
        self.layers.append(layer)
        self._invalidate()

    def add_layer(self, units: int, activation=None, *, input_dim=None, kernel_initializer="he",
                  batch_norm: bool = False, dropout: float = 0.0, l2: float = 0.0) -> None:
        """Append ``Dense(units)`` (+ ``BatchNorm``) (+ activation) (+ ``Dropout(dropout)``).

        `activation` is a name (``"relu"``, ``"softmax"``, ...), a layer class or instance.
        `l2` puts ``regularizers.L2(l2)`` on the kernel. `input_dim` sets the model input
        shape when given with the first layer.
        """
        if input_dim is not None:
            if self.layers:
                raise ValueError("input_dim can only be given with the first layer.")
            self.input_shape = self._check_input_dim(input_dim)
        regularizer = regularizers.L2(l2) if l2 else None
        new_layers = [Dense(units, kernel_initializer=kernel_initializer, kernel_regularizer=regularizer)]
        if batch_norm:
            new_layers.append(BatchNorm())
        if activation is not None:
            new_layers.append(activations.get(activation))
        if dropout:
            new_layers.append(Dropout(dropout))
        for layer in new_layers:
            self.add(layer)

    def _name_layer(self, layer: Layer) -> None:
        if layer.name is None:
            base = _snake_case(type(layer).__name__)
            count = self._name_counts.get(base, 0) + 1
            self._name_counts[base] = count
            layer.name = f"{base}_{count}"
        if any(other.name == layer.name for other in self.layers):
            raise ValueError(f"Layer names must be unique in a model; {layer.name!r} is already used.")

    def _build_layer(self, layer: Layer, index: int) -> None:
        """Build `layer` as the model's layer number `index` (its input: the output of the one before)."""
        previous = self.layers[index - 1] if index else None
        shape = self.input_shape if previous is None else previous.output_shape(previous.input_shape)
        try:
            layer.build(shape, self._rng, self.dtype)
        except ValueError as error:
            raise ValueError(f"Layer {index} ({layer.name}): {error}") from None

    def build(self, input_shape=None) -> None:
        """Build every layer for per-sample inputs of `input_shape` (or the known input shape)."""
        if input_shape is not None:
            if self.input_shape is not None and self._check_input_dim(input_shape) != self.input_shape:
                raise ValueError(f"This model takes inputs of per-sample shape {self.input_shape}; "
                                 f"got {tuple(input_shape)}.")
            self.input_shape = self._check_input_dim(input_shape)
        if self.input_shape is None:
            raise ValueError("The model's input shape is unknown: pass input_dim to Model or add_layer.")
        for index, layer in enumerate(self.layers):
            if not layer.built:
                self._build_layer(layer, index)
        self._invalidate()

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def output_shape(self) -> tuple[int, ...]:
        self._require_built()
        return self.layers[-1].output_shape(self.layers[-1].input_shape)

    def _require_built(self, x=None) -> None:
        if not self.layers:
            raise ValueError("The model has no layers: add some with add_layer() or add().")
        if not self.built:
            self.build(None if x is None or self.input_shape is not None else np.shape(x)[1:])

    def _invalidate(self) -> None:
        """Forget the engine, which is derived from the layer list and the compile settings."""
        self._engine = None

    @property
    def engine(self) -> Engine:
        """The training engine of the built model: flat params and grads, optimizer slots, the
        passes and the training step. Made when first needed; a new one (with a fresh optimizer
        state) after layers are added or the model is compiled again."""
        if self._engine is None:
            self._require_built()
            self._rebuild_engine()
        return self._engine

    def _rebuild_engine(self) -> None:
        """Forget the engine and, once the layers are built, make the new one at once (binding the
        optimizer's slots now, as Keras builds the optimizer at compile)."""
        self._engine = None
        if self.built:
            self._engine = Engine(self.layers, self.dtype, self.loss, self.optimizer, self.metrics)

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer="sgd", loss="categorical_crossentropy", metrics=None) -> None:
        """Choose the optimizer, loss and metrics; gives the model a fresh optimizer state."""
        optimizer = optimizers.get(optimizer)
        if getattr(optimizer, "_model", None) not in (None, self):
            optimizer = optimizers.registry.from_config(serialize(optimizer))
        optimizer._model = self
        self.optimizer = optimizer
        self.loss = losses.get(loss)
        self.metrics = [metrics_module.get(m) for m in (metrics or [])]
        self._rebuild_engine()

    def get_compile_config(self) -> dict | None:
        """Optimizer (with its schedule), loss and metrics as JSON-able data; None before compile."""
        if not self.compiled:
            return None
        return {"optimizer": serialize(self.optimizer), "loss": serialize(self.loss),
                "metrics": [serialize(metric) for metric in self.metrics]}

    def compile_from_config(self, config: dict) -> None:
        """`compile` with the settings of `get_compile_config()`."""
        self.compile(optimizer=optimizers.registry.from_config(config["optimizer"]),
                     loss=losses.registry.from_config(config["loss"]),
                     metrics=[metrics_module.registry.from_config(item) for item in config["metrics"]])

    @property
    def compiled(self) -> bool:
        return self.optimizer is not None

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise ValueError(f"Call model.compile(optimizer, loss, metrics) before {what}.")

    # -- data --------------------------------------------------------------------------------
    def _dataset(self, x, y, sample_weight=None, class_weight=None, what="x") -> Dataset:
        self._require_built(x)
        return self.engine.dataset(x, y, sample_weight, class_weight, what)

    def _validation_dataset(self, validation_data) -> Dataset:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight).")
        x_val, y_val, *weight = validation_data
        return self._dataset(x_val, y_val, weight[0] if weight else None, what="validation x")

    # -- training ----------------------------------------------------------------------------
    def train_on_batch(self, x, y, sample_weight=None, class_weight=None) -> dict:
        """One update from one batch; returns loss and metrics of the forward pass it used."""
        self._require_compiled("train_on_batch")
        data = self._dataset(x, y, sample_weight, class_weight)
        return self.engine.train_step(data.x, data.targets, data.weights)

    def fit(self, x, y, batch_size: int = 32, epochs: int = 1, verbose: int = 1, callbacks=None,
            validation_split: float = 0.0, validation_data=None, shuffle: bool = True,
            class_weight=None, sample_weight=None, initial_epoch: int = 0,
            validation_split_mode: str = "stratified", augment=None) -> History:
        """Train with mini-batch gradient descent; returns the `History`.

        Each epoch visits every training sample once (reshuffled when `shuffle`). Logged per
        epoch: running means over the epoch's batches of ``loss`` (data + penalty) and the
        metrics, ``val_*`` on the validation data after the epoch, ``lr`` of the last update.
        `validation_split` holds out that fraction, chosen per `validation_split_mode`:
        ``"stratified"`` (default, per class at random), ``"random"`` or ``"last"`` (Keras).
        `sample_weight` (per sample) and `class_weight` (dict or ``"balanced"``) scale each
        sample's loss and gradient. `augment`, a function ``(x_batch, rng) -> x_batch`` such as
        `preprocessing.ImageAugmenter`, transforms each training batch (a copy, never your data)
        with the model's generator. Ctrl-C stops after the current batch, runs
        ``on_train_end`` and returns the partial history.
        """
        self._require_compiled("fit")
        batch_size = check_int("batch_size", batch_size, 1)
        check_int("epochs", epochs, 0)
        check_int("initial_epoch", initial_epoch, 0)
        train = self._dataset(x, y, sample_weight, class_weight)
        if validation_data is not None and validation_split:
            raise ValueError("Pass either validation_data or validation_split, not both.")
        val = self._validation_dataset(validation_data) if validation_data is not None else None
        if validation_split:
            train, val = split_validation(train, validation_split, validation_split_mode,
                                          np.random.default_rng(self._split_seed))
        gatherer = BatchGatherer(train, batch_size)
        self.history = History()
        extra = [ProgressBar(plain=verbose == 2)] if verbose else []
        callback_list = CallbackList([self.history, *extra, *(callbacks or [])], self,
                                     {"epochs": epochs, "steps": len(gatherer), "verbose": verbose})
        self.stop_training = False
        logs: dict = {}
        callback_list.on_train_begin()
        try:
            for epoch in range(initial_epoch, epochs):
                logs = self._fit_epoch(epoch, gatherer, shuffle, val, callback_list, augment)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            print("Training interrupted: returning the history of the finished epochs.")
        callback_list.on_train_end(logs)
        return self.history

    def _fit_epoch(self, epoch, gatherer, shuffle, val, callback_list, augment) -> dict:
        callback_list.on_epoch_begin(epoch)
        n = len(gatherer.data)
        # An ordered epoch with augmentation still gathers: batches are then copies, not views of x.
        order = self._rng.permutation(n) if shuffle else (np.arange(n) if augment else None)
        totals: dict[str, float] = {}
        seen = 0
        logs: dict = {}
        train_step = self.engine.train_step
        for batch, (xb, tb, wb) in enumerate(gatherer.batches(order)):
            if augment is not None:
                xb = augment(xb, self._rng)
            callback_list.on_batch_begin(batch, {"size": xb.shape[0]})
            values = train_step(xb, tb, wb)
            seen += xb.shape[0]
            for key, value in values.items():
                totals[key] = totals.get(key, 0.0) + value * xb.shape[0]
            logs = {key: total / seen for key, total in totals.items()}
            callback_list.on_batch_end(batch, logs)
            if self.stop_training:
                break
        if val is not None:
            logs.update({f"val_{key}": value for key, value in self.engine.evaluate(val).items()})
        logs["lr"] = self.optimizer.last_learning_rate
        self.epoch = epoch + 1
        callback_list.on_epoch_end(epoch, logs)
        return logs

    # -- inference ---------------------------------------------------------------------------
    def evaluate(self, x, y, batch_size: int | None = None, sample_weight=None, verbose: int = 0) -> dict:
        """``{"loss": ..., metric: ...}`` over the whole data set, in inference mode.

        The loss is the (weighted) mean data loss over samples plus the regularization penalty.
        """
        self._require_compiled("evaluate")
        if batch_size is not None:
            check_int("batch_size", batch_size, 1)
        values = self.engine.evaluate(self._dataset(x, y, sample_weight), batch_size)
        if verbose:
            print(" - ".join(f"{key}: {value:.4f}" for key, value in values.items()))
        return values

    def predict(self, x, batch_size: int | None = None) -> np.ndarray:
        """Outputs ``(N, ...)`` (class probabilities after a Softmax), computed `batch_size` rows at a time."""
        self._require_built(x)
        x = check_inputs(x, self.input_shape, self.dtype)
        if batch_size is not None:
            check_int("batch_size", batch_size, 1)
        return self.engine.predict(x, batch_size)

    # -- weights and config ------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's arrays in order: Dense ``[kernel, bias]``, BatchNorm
        ``[gamma, beta, moving_mean, moving_var]``."""
        self._require_built()
        return [array for layer in self.layers for array in layer.get_weights()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set every array from a list shaped like `get_weights()`; checks all before changing any."""
        self._require_built()
        weights = list(weights)
        sizes = [len(layer.weight_names()) for layer in self.layers]
        if len(weights) != sum(sizes):
            raise ValueError(f"set_weights expects {sum(sizes)} arrays (as get_weights returns); "
                             f"got {len(weights)}.")
        bounds = np.cumsum([0, *sizes])
        per_layer = [weights[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]
        for layer, arrays in zip(self.layers, per_layer):
            layer.check_weights(arrays)
        for layer, arrays in zip(self.layers, per_layer):
            layer.set_weights(arrays)

    def count_params(self) -> tuple[int, int]:
        """(trainable, non_trainable) scalar counts."""
        counts = [layer.count_params() for layer in self.layers]
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    def get_config(self) -> dict:
        """The architecture as JSON-able data (no weights)."""
        return {"name": self.name, "input_shape": None if self.input_shape is None else list(self.input_shape),
                "dtype": self.dtype.name, "seed": self.seed,
                "layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config: dict) -> "Model":
        """A new model with the architecture of `config` (fresh weights drawn with its seed)."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"A model config must be a dict with a 'layers' list; got {config!r}.")
        input_shape = config.get("input_shape")
        return cls(input_dim=None if input_shape is None else tuple(input_shape),
                   layers=[layer_registry.from_config(item) for item in config["layers"]],
                   seed=config.get("seed"), dtype=config.get("dtype", "float32"), name=config.get("name"))

    def get_training_state(self) -> dict:
        """Where training stands: completed epochs, the generator state (shuffling, dropout), split seed."""
        return {"epoch": self.epoch, "rng": self._rng.bit_generator.state, "split_seed": self._split_seed}

    def set_training_state(self, state: dict) -> None:
        """Restore `get_training_state()` output (the generator is updated in place)."""
        generator = self._rng.bit_generator
        rng_state = state["rng"]
        if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != type(generator).__name__:
            raise ValueError(f"Expected a {type(generator).__name__} generator state; got {rng_state!r}.")
        generator.state = rng_state
        self.epoch = int(state["epoch"])
        self._split_seed = int(state["split_seed"])

    def save(self, path) -> None:
        """Write the whole model to an HDF5 file, atomically (see `minikeras.saving`)."""
        saving.save_model(self, path)

    def save_weights(self, path) -> None:
        """Write the weights only to an HDF5 file, atomically."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Set the weights from a file; nothing changes unless every array fits."""
        saving.load_weights(self, path)

    def summary(self, print_fn=None) -> None:
        """Print a table of layers, output shapes and parameter counts."""
        print_summary(self, print_fn)

    def check_gradients(self, x, y, epsilon: float = 1e-6, max_entries: int | None = None,
                        sample_weight=None) -> dict[str, float]:
        """``{"layer/param": max relative error}`` of analytic vs centered-difference gradients.

        See `minikeras.gradcheck.check_gradients`.
        """
        return gradcheck.check_gradients(self, x, y, epsilon=epsilon, max_entries=max_entries,
                                         sample_weight=sample_weight)

    def __repr__(self) -> str:
        layers = ", ".join(repr(layer) for layer in self.layers)
        return f"Model(input_dim={self.input_shape}, layers=[{layers}])"


Sequential = Model
