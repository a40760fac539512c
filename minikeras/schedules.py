"""`minikeras.schedules` (the courses' path): the schedules of `minikeras.optimizers.schedules`, the same objects."""
from .optimizers.schedules import (
                         CosineDecay,
                         CosineDecayRestarts,
                         CyclicLR,
                         ExponentialDecay,
                         InverseTimeDecay,
                         LearningRateSchedule,
                         OneCycle,
                         PiecewiseConstantDecay,
                         PolynomialDecay,
                         Schedule,
                         StepDecay,
                         deserialize,
                         get,
                         registry,
                         serialize,
)

__all__ = ["CosineDecay", "CosineDecayRestarts", "CyclicLR", "ExponentialDecay", "InverseTimeDecay",
           "LearningRateSchedule", "OneCycle", "PiecewiseConstantDecay", "PolynomialDecay", "Schedule", "StepDecay",
           "deserialize", "get", "registry", "serialize"]
