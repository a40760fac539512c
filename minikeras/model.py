"""`Model`: what every model has (layers, weights, files, the engine), whatever its shape.

Three kinds of model share it, as in Keras: `Sequential` (a stack, `minikeras.sequential`),
the functional model built from symbolic tensors (`minikeras.functional`), and a subclass with
layers as attributes and a ``call`` (its methods are this class's own; `minikeras.subclassed`).
``Model(inputs, outputs)`` makes a functional model; ``Model(layers=...)``,
``Model(input_dim=...)`` or ``Model()`` a Sequential one. Training (compile, fit, evaluate,
predict) is the `Trainer` half of the class; every numeric pass runs in the model's `engine`.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from . import gradcheck, saving, seeding, subclassed
from .checks import check_name, is_int, snake_case
from .config import floatx
from .engine import Engine
from .graph import KerasTensor, Program, call_symbolically, is_symbolic
from .layers import calls
from .layers.base import Layer
from .registry import Registry, custom_object_scope, registered_name
from .subclassed import ModelCall, model_layers, per_sample_shape, shape_of_batch
from .summary import print_summary
from .trainer import Trainer
from .variables import Variable

_DEFAULT_NAMES_GIVEN: dict[str, int] = {}


def _default_name(stem: str) -> str:
    """Keras' automatic model names, unique in the process: ``functional``, ``functional_1``, ...
    (so that two unnamed models can be layers of one model)."""
    count = _DEFAULT_NAMES_GIVEN.get(stem, 0)
    _DEFAULT_NAMES_GIVEN[stem] = count + 1
    return stem if count == 0 else f"{stem}_{count}"


def _makes_graph(args, kwargs) -> bool:
    return "inputs" in kwargs or "outputs" in kwargs or bool(args) and (
        is_symbolic(args[0]) or isinstance(args[0], dict) and any(isinstance(v, KerasTensor) for v in args[0].values()))


class Model(Trainer):
    """Base class of minikeras models; ``Model(inputs, outputs)`` is Keras' functional model and
    ``Model(layers=..., input_dim=...)`` a `Sequential` one."""

    _kinds: dict[str, Any] = {}

    def __init_subclass__(cls, kind: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if kind is not None:
            Model._kinds[kind] = cls

    @staticmethod
    def kind(name: str) -> Any:
        """The model class of a kind: ``"sequential"`` or ``"functional"``."""
        return Model._kinds[name]

    def __new__(cls, *args, **kwargs):
        if cls is Model:
            cls = Model._kinds["functional" if _makes_graph(args, kwargs) else "sequential"]
        model = super().__new__(cls)
        model.init_arguments = (args, kwargs)  # a subclassed model's config (Keras' auto config)
        return model

    # -- a subclassed model (class MyModel(Model) with a call); Sequential and Functional override --
    def __init__(self, *args, name: str | None = None, trainable: bool = True, dtype=None, seed: int | None = None,
                 **kwargs):
        """Keras' subclassing API: ``super().__init__(name=...)`` in the subclass's ``__init__``,
        layers set as attributes, and a ``call(inputs, training=None)``."""
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}: super().__init__() of a subclassed model takes name, trainable, "
                            f"dtype and seed; got {args!r} {sorted(kwargs)}. (Model(inputs, outputs) makes a "
                            f"functional model.)")
        self._init_model(name, snake_case(type(self).__name__), seed, dtype, trainable)
        self._call_step: Any = None  # the ModelCall step, once built
        self._losses: list = []

    def __getattr__(self, name: str):
        if name == "layers" and "_call_step" in vars(self):  # a subclassed model's layers are its attributes
            return model_layers(self)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def call(self, inputs, training=None):
        """A subclassed model's forward pass, written with layers and `minikeras.ops`."""
        raise NotImplementedError(f"{type(self).__name__} does not define call(inputs).")

    def run_own_call(self, inputs, training):
        """``call`` with the losses of the last call cleared (the subclassed model's engine step)."""
        self._losses = []
        if calls.accepts_training(self.call):
            return self.call(inputs, training=training)
        return self.call(inputs)

    def add_loss(self, loss) -> None:
        """Keras' ``add_loss`` in a subclassed model's ``call``: a scalar the training loss includes."""
        self._losses.append(loss)
        calls.note_added_loss(loss)

    def losses_added(self) -> list:
        """What the last call added with ``add_loss``, its layers' included."""
        added = list(getattr(self, "_losses", []))
        for layer in self.leaf_layers() if "_call_step" not in vars(self) else model_layers(self):
            added.extend(layer.losses_added() if hasattr(layer, "losses_added") else ())
        return added

    @property
    def losses(self) -> list:
        """Keras' ``model.losses``: the losses the last call added, then the weight penalties."""
        penalties = [variable.regularizer.penalty(variable.value) for variable in self.trainable_weights
                     if variable.regularizer is not None]
        return [*self.losses_added(), *penalties]

    def _program(self) -> Program:
        """The engine's program of the built model."""
        return Program.chain([self._call_step], self._call_step.input_shape)

    def emit(self, program: Program, inputs: tuple[int, ...], merged: bool = False) -> int:
        """Append the model's operations to the `program` of a model using it as a layer, reading
        the tensors `inputs`; returns its output tensor's id."""
        return program.add_layer(self._call_step, inputs, merged)

    @property
    def built(self) -> bool:
        return self._call_step is not None and self._call_step.built

    def build(self, input_shape=None, rng=None, dtype=None) -> None:
        """Build every layer for inputs of `input_shape`: Keras' ``(None, ...)`` or the per-sample
        shape (a subclassed model runs its call once on zeros of it)."""
        if input_shape is None:
            raise ValueError(f"Model {self.name!r}: build needs the input shape, e.g. build((None, 784)).")
        step = ModelCall(self)
        step.build(per_sample_shape(input_shape), self._rng, self.dtype)
        self._call_step = step
        self._invalidate()

    def _require_built(self, x=None) -> None:
        if not self.built:
            if x is None:
                raise ValueError(f"Model {self.name!r} is not built yet: call it on a batch, fit it, or "
                                 f"build(input_shape) first.")
            self.build(shape_of_batch(x))

    def built_input_shape(self):
        """The per-sample input shape (a list of them for several inputs)."""
        self._require_built()
        return self._call_step.input_shape

    def built_output_shape(self) -> tuple[int, ...]:
        self._require_built()
        return self._call_step.built_output_shape()

    def call_output_shape(self, input_shape) -> tuple[int, ...]:
        """The per-sample output shape when used as a layer on inputs of `input_shape`."""
        if not self.built:
            self.build(input_shape)
        return self._call_step.call_output_shape(input_shape)

    @property
    def output_names(self) -> list[str]:
        return ["output_0"]

    def get_config(self) -> dict:
        """Keras' config of a subclassed model: its ``__init__`` arguments, when they are plain values."""
        return calls.auto_config(self)

    def _init_model(self, name: str | None, default_name: str, seed, dtype, trainable: bool) -> None:
        """The state every model has: dtype, seed and generator, name, engine, layer names."""
        dtype = dtype or floatx()
        # longdouble is accepted for check_gradients, which computes in the widest float there is.
        if np.dtype(dtype) not in (np.float32, np.float64, np.longdouble):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"trainable must be True or False; got {trainable!r}.")
        Trainer.__init__(self)
        self.dtype = np.dtype(dtype)
        self.seed = seed
        self.name = _default_name(default_name) if name is None else check_name(name, "A model")
        self._rng = seeding.model_generator(seed)
        # Validation splits draw from their own seed, so a resumed fit holds out the same samples.
        self._split_seed = int(self._rng.integers(2**63))
        self._name_counts: dict[str, int] = {}
        self._layer_names: set[str] = set()  # kept with `layers`, so that adding a layer costs the same at any depth
        self._engine: Engine | None = None
        self.inbound_nodes: list = []  # calls of this model as a layer of another
        self.needs_input_grad = True

    def _name_layer(self, layer) -> None:
        """Keras' automatic names: ``dense``, ``dense_1``, ``dense_2``, ... per model; a name already
        used by another layer of the model is an error."""
        if layer.name is None:
            base = layer.name_stem() if hasattr(layer, "name_stem") else snake_case(type(layer).__name__)
            count = self._name_counts.get(base, 0)
            name = base if count == 0 else f"{base}_{count}"
            while name in self._layer_names:
                count += 1
                name = f"{base}_{count}"
            self._name_counts[base] = count + 1
            layer.name = name
        if layer.name in self._layer_names:
            raise ValueError(f"Layer names must be unique in a model; {layer.name!r} is already used.")

    # -- the engine ----------------------------------------------------------------------------
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
            self._engine = self._new_engine()
        return self._engine

    def _rebuild_engine(self) -> None:
        """Forget the engine and, once the layers are built, make the new one at once (building the
        optimizer's slots now, as Keras builds the optimizer at compile)."""
        self._engine = self._new_engine() if self.built else None

    def _new_engine(self) -> Engine:
        return Engine(self._program(), self.dtype, self.loss, self.optimizer, self.compiled_metrics,
                      self.compiled_weighted_metrics, self.loss_weights, self.output_names)

    # -- used as a layer -------------------------------------------------------------------------
    def __call__(self, x, training=None):
        """Keras' ``model(x)``: the output for the batch `x` in one pass (``training=True``: dropout
        active and BatchNorm on batch statistics, whose moving averages then move too). On symbolic
        tensors, the model is used as a layer of the functional model being built."""
        if is_symbolic(x):
            if not self.built and isinstance(x, KerasTensor):
                self.build(x.sample_shape)  # a Sequential model without an input shape takes the tensor's
            return call_symbolically(self, x)
        self._require_built(x)
        if calls.recording():  # inside a layer's or a model's recorded call
            return calls.record_program(self, x, bool(calls.inherited_training(training)))
        engine = self.engine
        output = engine.forward(engine.inputs(x), bool(training))
        return [array.copy() for array in output] if isinstance(output, list) else output.copy()

    def steps(self) -> list:
        return [self]

    def takes_several_inputs(self) -> bool:
        return isinstance(self.built_input_shape(), list)

    # -- layers ------------------------------------------------------------------------------
    def get_layer(self, name: str | None = None, index: int | None = None):
        """The layer named `name`, or at position `index` (as Keras: give exactly one)."""
        if (name is None) == (index is None):
            raise ValueError(f"Give exactly one of name or index; got name={name!r}, index={index!r}.")
        if index is not None:
            if not is_int(index) or not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Layer index {index!r} is out of range for a model with {len(self.layers)} "
                                 f"layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = ", ".join(str(layer.name) for layer in self.layers)
        raise ValueError(f"No layer named {name!r}. The layers are: {names}.")

    @property
    def trainable(self) -> bool:
        """False when every layer is frozen; setting it freezes or unfreezes every layer."""
        return any(layer.trainable for layer in self.layers) if self.layers else True

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self.layers:
            layer.trainable = bool(value)

    def leaf_layers(self) -> list[Layer]:
        """Every layer holding computations, nested models opened, each once (a subclassed model:
        the step running its call)."""
        if "_call_step" in vars(self):
            return [self._call_step] if self._call_step is not None else []
        leaves: list[Layer] = []
        for layer in self.layers:
            for leaf in layer.leaf_layers() if isinstance(layer, Model) else [layer]:
                if leaf not in leaves:
                    leaves.append(leaf)
        return leaves

    def _holds_keras_style_layers(self) -> bool:
        return any(layer.written_with_call for layer in self.leaf_layers())

    # -- weights -------------------------------------------------------------------------------
    @property
    def weights(self) -> list[Variable]:
        """Every layer's weights, in layer order, a shared layer's once (`get_weights` gives copies)."""
        return [variable for layer in self.leaf_layers() for variable in layer.weights]

    @property
    def trainable_weights(self) -> list[Variable]:
        return [variable for layer in self.leaf_layers() for variable in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [variable for layer in self.leaf_layers() for variable in layer.non_trainable_weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's arrays in order: Dense ``[kernel, bias]``, BatchNorm
        ``[gamma, beta, moving_mean, moving_var]``."""
        self._require_built()
        return [variable.numpy() for variable in self.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set every array from a list shaped like `get_weights()`; checks all before changing any."""
        self._require_built()
        weights, layers = list(weights), self.leaf_layers()
        sizes = [len(layer.weights) for layer in layers]
        if len(weights) != sum(sizes):
            raise ValueError(f"set_weights expects {sum(sizes)} arrays (as get_weights returns); "
                             f"got {len(weights)}.")
        bounds = np.cumsum([0, *sizes])
        per_layer = [weights[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]
        for layer, arrays in zip(layers, per_layer):
            layer.check_weights(arrays)
        for layer, arrays in zip(layers, per_layer):
            layer.set_weights(arrays)

    def count_params(self) -> int:
        """Number of scalars in every layer's weights (trainable or not; a shared layer's once), as Keras."""
        self._require_built()
        return sum(variable.size for variable in self.weights)

    @classmethod
    def from_config(cls, config, custom_objects=None) -> Model:
        """A new model from `get_config()` output: a graph config (with ``input_layers``) makes a
        functional model, a stack config a Sequential one; a subclassed model's `file_config`
        makes that (registered) class, built. On a subclass: ``cls(**config)``, as Keras. Custom
        classes are those registered or given in `custom_objects`."""
        if cls is not Model:
            return cls(**config)
        with custom_object_scope(custom_objects):
            return Model._from_any_config(config)

    @staticmethod
    def _from_any_config(config) -> Model:
        """`from_config` of the base class: the model kind the config describes."""
        if isinstance(config, dict) and "build_config" in config:
            class_name = config.get("class_name")
            if not isinstance(class_name, str):
                raise ValueError(f"A subclassed model's config names its class; got class_name={class_name!r}.")
            model_class: Any = registry.lookup(class_name)
            arguments = config.get("config", {})
            if not isinstance(arguments, dict):
                raise ValueError(f"The config of model {config.get('class_name')!r} must be a dict; got {arguments!r}.")
            model = model_class.from_config(arguments)
            model.build(subclassed.file_input_shape(config["build_config"]))
            return model
        kind = "functional" if isinstance(config, dict) and "input_layers" in config else "sequential"
        return Model._kinds[kind].from_config(config)

    def file_config(self) -> dict:
        """The architecture as model files hold it: `get_config` (Sequential, functional); for a
        subclassed model, its registered class name, `get_config` and the input shape it was built
        for (Keras' ``build_config``)."""
        if "_call_step" not in vars(self):
            return self.get_config()
        self._require_built()
        return {"class_name": registered_name(self), "config": self.get_config(),
                "build_config": {"input_shape": subclassed.keras_shape(self.built_input_shape())}}

    # -- files -----------------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the whole model to an HDF5 file, atomically (see `minikeras.saving`); a path ending in
        ``.keras`` gets Keras 3's format instead (architecture and weights, for `keras.saving.load_model`)."""
        self._require_built()
        saving.save(self, path)

    def export(self, filepath, format: str = "onnx", verbose=None, input_signature=None, **kwargs) -> None:
        """Keras 3's ``export``: with ``format="onnx"`` (the only one here) write the inference graph as
        an ONNX model (opset 17; inputs named as the model's, ``"input"`` for one; outputs
        ``"output"``, or the output names for several), atomically; needs
        ``pip install "minikeras[onnx]"``."""
        if format != "onnx":
            raise ValueError(f"minikeras exports to format='onnx' only (Keras' default is a TensorFlow SavedModel); "
                             f"got format={format!r}.")
        if input_signature is not None or kwargs:
            raise ValueError(f"ONNX export takes the model's own input shape; got input_signature={input_signature!r} "
                             f"and {sorted(kwargs)}.")
        self._require_built()
        saving.export_onnx(self.engine, filepath)
        if verbose:
            print(f"Saved the ONNX model to {filepath}.")

    def save_weights(self, path) -> None:
        """Write the weights only to an HDF5 file, atomically."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Set the weights from a file; nothing changes unless every array fits."""
        saving.load_weights(self, path)

    def summary(self, print_fn=None) -> None:
        """Print a table of layers, output shapes and parameter counts (and, for a graph, what each
        layer reads: Keras' "Connected to")."""
        print_summary(self, print_fn)

    def check_gradients(self, x, y, epsilon: float = 1e-6, max_entries: int | None = None,
                        sample_weight=None) -> dict[str, float]:
        """``{"layer/param": max relative error}`` of analytic vs centered-difference gradients.

        See `minikeras.gradcheck.check_gradients`.
        """
        return gradcheck.check_gradients(self, x, y, epsilon=epsilon, max_entries=max_entries,
                                         sample_weight=sample_weight)


registry = Registry("model", Model)
"""Subclassed models that files may name: those registered with
``keras.saving.register_keras_serializable()`` (or given as ``custom_objects``)."""
