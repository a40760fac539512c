"""AdamW, Adagrad, Adamax and NAdam against PyTorch's optimizers, where the two definitions agree.

Keras and PyTorch place epsilon differently (Keras: inside Adagrad's square root, outside the
bias correction in Adam-type updates), so both sides get epsilon 1e-12, where the placements
differ by far less than the tolerance; Adagrad's accumulator starts at Keras' 0.1 on both sides.
Everything else is the same formula: decoupled weight decay ``w -= lr * wd * w`` before the
AdamW step, Adamax's infinity norm. NAdam's momentum schedule is Keras' ``b1 (1 - 0.5 * 0.96^t)``
(Dozat's paper and PyTorch's default use ``0.96^(0.004 t)``): PyTorch gets ``momentum_decay=1``."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import optimizers

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
START = RNG.normal(size=20)
GRADS = [RNG.normal(scale=scale, size=20) for scale in (1.0, 2.0, 0.5, 1.5, 0.3, 1.0)]
EPSILON = 1e-12

CASES = {  # name: (ours, PyTorch's)
    "AdamW": (lambda: optimizers.AdamW(0.01, weight_decay=0.1, epsilon=EPSILON),
              lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.1, eps=EPSILON)),
    "AdamW(amsgrad)": (lambda: optimizers.AdamW(0.01, weight_decay=0.05, epsilon=EPSILON, amsgrad=True),
                       lambda p: torch.optim.AdamW([p], lr=0.01, weight_decay=0.05, eps=EPSILON, amsgrad=True)),
    "Adagrad": (lambda: optimizers.Adagrad(0.1, epsilon=EPSILON),
                lambda p: torch.optim.Adagrad([p], lr=0.1, initial_accumulator_value=0.1, eps=EPSILON)),
    "Adamax": (lambda: optimizers.Adamax(0.02, epsilon=EPSILON),
               lambda p: torch.optim.Adamax([p], lr=0.02, eps=EPSILON)),
    "NAdam": (lambda: optimizers.Nadam(0.01, epsilon=EPSILON),
              lambda p: torch.optim.NAdam([p], lr=0.01, eps=EPSILON, momentum_decay=1.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_updates_match_pytorch(name):
    make_ours, make_theirs = CASES[name]
    ours = make_ours()
    weights = mk.Variable(START.copy(), dtype="float64")
    ours.build([weights])
    parameter = torch.tensor(START.copy(), requires_grad=True)
    theirs = make_theirs(parameter)
    for grad in GRADS:
        ours.apply([grad.copy()], [weights])
        parameter.grad = torch.tensor(grad)
        theirs.step()
        np.testing.assert_allclose(weights.value, parameter.detach().numpy(), rtol=1e-6, atol=1e-9)
