"""Keras' module path ``optimizers.schedules``: the schedules of `minikeras.schedules`, the same objects."""
from ..schedules import (CosineDecay, CosineDecayRestarts, CyclicLR, ExponentialDecay, InverseTimeDecay,
                         LearningRateSchedule, OneCycle, PiecewiseConstantDecay, PolynomialDecay, Schedule, StepDecay,
                         deserialize, get, registry, serialize)

__all__ = ["CosineDecay", "CosineDecayRestarts", "CyclicLR", "ExponentialDecay", "InverseTimeDecay",
           "LearningRateSchedule", "OneCycle", "PiecewiseConstantDecay", "PolynomialDecay", "Schedule", "StepDecay",
           "deserialize", "get", "registry", "serialize"]
