"""Name -> class registries.

Every configurable family (layers, activations, losses, metrics, optimizers, schedules,
initializers, regularizers, callbacks) has one `Registry`. It turns strings, classes, instances
and ``{"class_name", "config"}`` dicts into objects, and it is the allowlist used when reading
configs and model files: a name that was not registered is refused, nothing is imported or
evaluated. A registry also holds its family to its contract: a class that does not implement
the family's `required` methods, or fails its `check`, cannot be registered.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

# Every registry made, so that `register_keras_serializable` finds a class's family by its base.
REGISTRIES: list[Registry] = []
# Keras' global custom objects (``keras.saving.get_custom_objects()``): registered classes and
# functions by their registered name ("package>name").
CUSTOM_OBJECTS: dict[str, Any] = {}
# The objects of `custom_object_scope` blocks (and ``load_model(custom_objects=...)``) open now.
_SCOPE: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("custom_objects", default=None)


class Registry:
    """A named table of classes of one family.

    Parameters
    ----------
    kind : str
        What the family is called in error messages, e.g. ``"layer"``.
    base : type
        Every registered class must subclass it; instances of it pass `get` as they are.
    required : tuple of str
        Methods every registered class must define itself or inherit from a class other than `base`.
    check : callable, optional
        ``check(cls)`` raises TypeError when `cls` breaks a contract of the family that
        `required` cannot express (e.g. a declared capability its methods do not back).
    class_names : bool
        Whether a class is also found under its own name (``"ReLU"``), besides the names given.
    """

    def __init__(self, kind: str, base: type, required: tuple[str, ...] = (),
                 check: Callable[[type], None] | None = None, class_names: bool = True):
        self.kind = kind
        self.base = base
        self.required = required
        self.check = check
        self.class_names = class_names
        self._classes: dict[str, type] = {}
        REGISTRIES.append(self)

    def register(self, *names: str) -> Callable[[type], type]:
        """Class decorator: register under the class name and any extra `names`."""

        def add(cls: type) -> type:
            self.add(cls, *names)
            return cls

        return add

    def add(self, cls: type, *names: str) -> None:
        """Register `cls` under the lower-case `names` given (and its own name, see `class_names`)."""
        if not (isinstance(cls, type) and issubclass(cls, self.base)):
            raise TypeError(f"Only subclasses of {self.base.__name__} can be registered as a {self.kind}; "
                            f"got {cls!r}.")
        missing = [method for method in self.required if getattr(cls, method) is getattr(self.base, method)]
        if missing:
            raise TypeError(f"{cls.__name__} cannot be registered as a {self.kind}: it does not implement "
                            f"{', '.join(missing)}.")
        if self.check is not None:
            self.check(cls)
        for name in (cls.__name__, *names) if self.class_names else names:
            self._classes[name] = cls

    def names(self) -> list[str]:
        """Every name `get` accepts, sorted."""
        return sorted(self._classes)

    def classes(self) -> list[type]:
        """Every registered class, once each, in the order of registration."""
        return list(dict.fromkeys(self._classes.values()))

    def lookup(self, name: str) -> type:
        """The class of `name`: a custom object given to the open `custom_object_scope` (or
        ``load_model(custom_objects=)``) first, then the registered ones; ValueError naming the
        known names otherwise. Nothing else is ever imported or run."""
        if not isinstance(name, str):
            raise TypeError(f"A {self.kind} name must be a string; got {type(name).__name__} {name!r}.")
        custom = (_SCOPE.get() or {}).get(name)
        if isinstance(custom, type) and issubclass(custom, self.base):
            return custom
        try:
            return self._classes[name]
        except KeyError:
            hint = (" A custom class is loaded only when registered (@keras.saving.register_keras_serializable()) "
                    "or given as custom_objects={name: class}.") if name[:1].isupper() or ">" in name else ""
            raise ValueError(f"Unknown {self.kind} {name!r}.{hint} Expected one of: "
                             f"{', '.join(self.names())}.") from None

    def get(self, spec: Any, **overrides: Any) -> Any:
        """Build an object from a name, a class, a config dict or an instance (returned as is)."""
        if isinstance(spec, self.base):
            return spec
        if isinstance(spec, type):
            if not issubclass(spec, self.base):
                raise TypeError(f"Expected a {self.kind} class (a subclass of {self.base.__name__}); "
                                f"got {spec.__name__}.")
            return spec(**overrides)
        if isinstance(spec, str):
            return self.lookup(spec)(**overrides)
        if isinstance(spec, dict):
            return self.from_config(spec)
        raise TypeError(f"Expected a {self.kind} name ({', '.join(self.names())}), class or instance; "
                        f"got {type(spec).__name__} {spec!r}.")

    def from_config(self, config: dict) -> Any:
        """Rebuild an object from ``{"class_name": name, "config": {...}}``."""
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"A {self.kind} config must be a dict with a 'class_name' key; got {config!r}.")
        cls = self.lookup(config["class_name"])
        kwargs = config.get("config", {})
        if not isinstance(kwargs, dict):
            raise ValueError(f"The 'config' of {self.kind} {config['class_name']!r} must be a dict; "
                             f"got {kwargs!r}.")
        try:
            return cls.from_config(kwargs) if hasattr(cls, "from_config") else cls(**kwargs)
        except TypeError as error:
            raise ValueError(f"Invalid config for {self.kind} {config['class_name']!r}: {error}.") from None


def family(kind: str) -> Registry:
    """The registry of a family by its kind (``"model"``: subclassed models), for the modules that
    may not import the family's own (the readers of files)."""
    return next(registry for registry in REGISTRIES if registry.kind == kind)


def registered_name(obj: Any) -> str:
    """Keras' ``get_registered_name``: ``"package>name"`` for a class or function registered with
    `register_keras_serializable`, else its own name."""
    is_definition = isinstance(obj, type) or (callable(obj) and not hasattr(obj, "get_config"))  # a class or function
    target = obj if is_definition else type(obj)
    return vars(target).get("_registered_name") or getattr(target, "__name__", str(target))


def serialize(obj: Any) -> dict:
    """``{"class_name", "config"}`` of an object that has `get_config` (a registered custom class
    under its registered name, ``"package>name"``)."""
    return {"class_name": registered_name(obj), "config": obj.get_config()}


def serialize_optional(obj: Any) -> dict | None:
    """`serialize` of an optional object (a regularizer): None for None."""
    return None if obj is None else serialize(obj)


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Keras' decorator: make a custom class (a layer, model, loss, metric, initializer,
    regularizer, optimizer, ...) or function loadable from configs and files under
    ``"package>name"`` (`name` is the class's or function's own by default)."""
    if ">" in package:
        raise ValueError(f"package cannot contain '>'; got {package!r}.")

    def register(target):
        key = f"{package}>{name or target.__name__}"
        families = [registry for registry in REGISTRIES
                    if isinstance(target, type) and issubclass(target, registry.base)]
        if isinstance(target, type) and not families:
            raise TypeError(f"Cannot register {target.__name__}: it is not a minikeras layer, model, loss, metric, "
                            f"initializer, regularizer, optimizer, schedule, activation or callback class.")
        for registry in families:
            registry.add(target, key)
        target._registered_name = key
        CUSTOM_OBJECTS[key] = target
        return target

    return register


def registered_function(name, what: str):
    """The function a config names (by registered name, or a key of `custom_objects`); ValueError
    for any other name: a function is never looked up elsewhere."""
    found = custom_object(name) if isinstance(name, str) else None
    if found is None or isinstance(found, type):
        raise ValueError(f"Unknown {what} function {name!r}: a function is loaded only when registered "
                         f"(@keras.saving.register_keras_serializable()) or given in custom_objects.")
    return found


def custom_object(name: str):
    """The function or class of `name` among the custom objects in scope, the registered ones
    (``"package>name"``), or None."""
    return (_SCOPE.get() or {}).get(name, CUSTOM_OBJECTS.get(name))


@contextlib.contextmanager
def custom_object_scope(custom_objects: dict[str, Any] | None) -> Iterator[None]:
    """Keras' ``custom_object_scope``: inside, configs and files may name the classes and
    functions of `custom_objects` (by their keys)."""
    objects = custom_objects or {}
    token = _SCOPE.set({**(_SCOPE.get() or {}), **objects, **{registered_name(obj): obj for obj in objects.values()}})
    try:
        yield
    finally:
        _SCOPE.reset(token)


def describe(value: Any) -> str:
    """Readable ``Name(arg=value, ...)`` text of a serialized object (nested ones included)."""
    if isinstance(value, dict) and "class_name" in value:
        args = ", ".join(f"{key}={describe(item)}" for key, item in value.get("config", {}).items())
        return f"{value['class_name']}({args})"
    if isinstance(value, list):
        return "[" + ", ".join(describe(item) for item in value) + "]"
    return repr(value)
