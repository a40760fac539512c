"""Name -> class registries.

Every configurable family (layers, activations, losses, metrics, optimizers, schedules,
initializers, regularizers, callbacks) has one `Registry`. It turns strings, classes, instances
and ``{"class_name", "config"}`` dicts into objects, and it is the allowlist used when reading
configs and model files: a name that was not registered is refused, nothing is imported or
evaluated. A registry also holds its family to its contract: a class that does not implement
the family's `required` methods, or fails its `check`, cannot be registered.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any


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
        """The class registered under `name`; ValueError naming the known names otherwise."""
        if not isinstance(name, str):
            raise TypeError(f"A {self.kind} name must be a string; got {type(name).__name__} {name!r}.")
        try:
            return self._classes[name]
        except KeyError:
            raise ValueError(f"Unknown {self.kind} {name!r}. Expected one of: "
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


def serialize(obj: Any) -> dict:
    """``{"class_name", "config"}`` of an object that has `get_config`."""
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


def describe(value: Any) -> str:
    """Readable ``Name(arg=value, ...)`` text of a serialized object (nested ones included)."""
    if isinstance(value, dict) and "class_name" in value:
        args = ", ".join(f"{key}={describe(item)}" for key, item in value.get("config", {}).items())
        return f"{value['class_name']}({args})"
    if isinstance(value, list):
        return "[" + ", ".join(describe(item) for item in value) + "]"
    return repr(value)
