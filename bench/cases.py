"""The bench's cases (networks, batch sizes, data sizes) and the minikeras model and data of each."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import minikeras as mk


@dataclass
class Case:
    name: str
    widths: list[int]
    batch_size: int
    samples: int
    batch_norm: bool = True
    activation: str = "relu"
    l2: float = 0.005
    momentum: float = 0.0
    cyclic: bool = True
    lr: float = 0.01
    predict: bool = False
    extra: dict = field(default_factory=dict)


def cases(quick: bool) -> list[Case]:
    n = 9000 if quick else 45000
    seed_net = [3072, 50, 50, 10]
    result = [
        Case("CIFAR seed net, BN, batch 100", seed_net, 100, n),
        Case("CIFAR seed net, no BN, batch 100", seed_net, 100, n, batch_norm=False),
        Case("CIFAR 9-layer, BN, batch 100", [3072, 50, 30, 20, 20, 10, 10, 10, 10, 10], 100, n),
        Case("MNIST 784-64-10 sigmoid, momentum, batch 128", [784, 64, 10], 128, 54000 // (5 if quick else 1),
             batch_norm=False, activation="sigmoid", l2=0.0, momentum=0.9, cyclic=False, lr=0.05),
        Case("wide 3072-1024-1024-10, BN, batch 256", [3072, 1024, 1024, 10], 256, 2560 if quick else 10240),
        Case("predict, CIFAR seed net, 10,000 rows", seed_net, 1000, 10000, predict=True),
    ]
    result += [Case(f"CIFAR seed net, BN, batch {b}", seed_net, b, n) for b in (32, 256, 1000)]
    return result


def training_case(text: str) -> Case:
    """The training case of the bench named `text`, or else the only one whose name contains it."""
    matches = [case for case in cases(quick=False) if not case.predict and text in case.name]
    exact = [case for case in matches if case.name == text]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    names = [case.name for case in matches] or [case.name for case in cases(quick=False) if not case.predict]
    raise ValueError(f"{'Several' if matches else 'No'} training cases of the bench match {text!r}; "
                     f"name one of: {'; '.join(names)}.")


def learning_rate(case: Case):
    """The case's learning rate: the seed experiments' cyclical schedule, or the float `case.lr`."""
    return mk.schedules.CyclicLR(1e-5, 1e-1, step_size=2250) if case.cyclic else case.lr


def minikeras_model(case: Case, metrics: bool = True, first_layer=None) -> mk.Model:
    """The case's network in minikeras, compiled with its optimizer (and accuracy, unless `metrics` is
    False); `first_layer` (such as a Normalization) goes before it."""
    model = mk.Model(input_dim=case.widths[0], seed=0)
    if first_layer is not None:
        model.add(first_layer)
    for units in case.widths[1:-1]:
        model.add_layer(units, case.activation, batch_norm=case.batch_norm, l2=case.l2)
    model.add_layer(case.widths[-1], "softmax", l2=case.l2)
    model.compile(optimizer=mk.optimizers.SGD(learning_rate(case), momentum=case.momentum),
                  metrics=["accuracy"] if metrics else [])
    return model


def random_data(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """float32 inputs and class ids of the case's shapes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((case.samples, case.widths[0]), dtype=np.float32)
    return x, rng.integers(0, case.widths[-1], case.samples)

