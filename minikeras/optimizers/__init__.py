"""Optimizers (Keras' ``keras.optimizers``): they own every weight update (layers only compute
gradients). The contract is in `base`; one module per family of algorithms.
"""
from __future__ import annotations

from ..registry import serialize
from . import schedules
from .adafactor import Adafactor
from .adagrad import Adadelta, Adagrad
from .adam import Adam, Adamax, AdamW, Nadam
from .base import Optimizer, registry
from .ftrl import Ftrl
from .lamb import Lamb
from .lion import Lion
from .muon import Muon, newton_schulz_orthogonalize
from .rmsprop import RMSprop
from .schedule_free import ScheduleFreeAdamW
from .sgd import SGD, Momentum

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "AdamW", "Adamax", "Nadam", "Lamb", "ScheduleFreeAdamW", "Muon",
           "Adafactor", "Ftrl", "Adagrad", "Adadelta", "Lion", "RMSprop", "newton_schulz_orthogonalize", "get",
           "serialize", "deserialize", "registry", "schedules"]


def get(spec) -> Optimizer:
    """An optimizer by Keras name (``"sgd" "adam" "adamw" "rmsprop" "adagrad" "adadelta" "adamax" "nadam"
    "lion" "lamb" "ftrl" "schedule_free_adamw" "muon" "adafactor"``, plus the courses' ``"momentum"``; Keras
    defaults), a class or an instance."""
    return registry.get(spec)


def deserialize(config: dict) -> Optimizer:
    """An optimizer from ``{"class_name": ..., "config": {...}}``, as `serialize` or Keras' own writes it."""
    return registry.from_config(config)
