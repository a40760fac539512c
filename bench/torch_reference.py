"""The PyTorch side of the benchmark: a plain CPU training loop for the same networks.

Optional: `available()` is False when torch is not installed (pip install torch==2.13.0).
"""
from __future__ import annotations

import time


def available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


class TorchMLP:
    """nn.Sequential of Linear (+ BatchNorm1d) + activation blocks, SGD (momentum) with a cyclical
    rate stepped per batch, L2 as weight decay 2 * lambda, cross-entropy on the logits."""

    def __init__(self, widths, activation="relu", batch_norm=True, l2=0.005, momentum=0.0, threads=2,
                 cyclic=True, lr=0.01, seed=0):
        import torch
        from torch import nn

        torch.set_num_threads(threads)
        torch.manual_seed(seed)
        act = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}[activation]
        blocks = []
        for fan_in, fan_out in zip(widths[:-2], widths[1:-1]):
            blocks += [nn.Linear(fan_in, fan_out)] + ([nn.BatchNorm1d(fan_out, momentum=0.1)] if batch_norm else [])
            blocks.append(act())
        blocks.append(nn.Linear(widths[-2], widths[-1]))
        self.net = nn.Sequential(*blocks)
        self.optimizer = torch.optim.SGD(self.net.parameters(), lr=lr, momentum=momentum, weight_decay=2 * l2)
        self.scheduler = (torch.optim.lr_scheduler.CyclicLR(self.optimizer, 1e-5, 1e-1, step_size_up=2250,
                                                             cycle_momentum=False) if cyclic else None)
        self.loss = nn.CrossEntropyLoss()
        self.torch = torch

    def epoch_seconds(self, x, y, batch_size: int) -> float:
        torch = self.torch
        start = time.perf_counter()
        self.net.train()
        order = torch.randperm(x.shape[0])
        for begin in range(0, x.shape[0], batch_size):
            index = order[begin:begin + batch_size]
            self.optimizer.zero_grad(set_to_none=True)
            loss = self.loss(self.net(x[index]), y[index])
            loss.backward()
            self.optimizer.step()
            if self.scheduler is not None:
                self.scheduler.step()
        return time.perf_counter() - start

    def predict_seconds(self, x, batch_size: int) -> float:
        torch = self.torch
        start = time.perf_counter()
        self.net.eval()
        with torch.no_grad():
            for begin in range(0, x.shape[0], batch_size):
                torch.softmax(self.net(x[begin:begin + batch_size]), dim=1)
        return time.perf_counter() - start

    @staticmethod
    def tensors(x, y):
        import torch
        return torch.from_numpy(x), torch.from_numpy(y.astype("int64"))
