"""Convnets against PyTorch on the CPU: a training epoch and a `predict` pass of keras.io's MNIST
convnet (Conv2D 32 - MaxPooling - Conv2D 64 - MaxPooling - Dropout - Dense, Adam, batch 128) and
of a small CIFAR-10 convnet (two blocks of two 3x3 Conv2D with batch normalization, max pooling,
then global average pooling and a softmax layer), with the same data and threads, in turns in
one run; plus the peak of the memory numpy allocates during one minikeras training epoch
(`tracemalloc`; PyTorch's CPU allocator is not traced that way).

    python -m bench --only convnet        (or: python -m bench.convnet [--repeats 3] [--samples 6400])
"""
from __future__ import annotations

import statistics
import tracemalloc

import numpy as np

import minikeras as mk
from bench.timing import alternate, timed
from minikeras import layers

NAME = "convnet"
BATCH = 128


def mnist_convnet():
    """keras.io's "Simple MNIST convnet"."""
    return [mk.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.5),
            layers.Dense(10, activation="softmax")]


def cifar_convnet():
    """Two blocks of Conv2D-BN-ReLU x2 then 2x2 max pooling (32 and 64 filters), global average
    pooling, softmax."""
    blocks = []
    for filters in (32, 64):
        for _ in range(2):
            blocks += [layers.Conv2D(filters, 3, padding="same", use_bias=False), layers.BatchNormalization(),
                       layers.ReLU()]
        blocks.append(layers.MaxPooling2D())
    return [mk.Input((32, 32, 3)), *blocks, layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]


def _torch_net(kind: str):
    from torch import nn
    if kind == "mnist":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(1600, 10))
    blocks, channels = [], 3
    for filters in (32, 64):
        for _ in range(2):
            blocks += [nn.Conv2d(channels, filters, 3, padding=1, bias=False), nn.BatchNorm2d(filters), nn.ReLU()]
            channels = filters
        blocks.append(nn.MaxPool2d(2))
    return nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


class TorchConvnet:
    """The same network in PyTorch (channels-first), Adam, cross-entropy on the logits."""

    def __init__(self, kind: str, threads: int):
        import torch
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        self.torch, self.net = torch, _torch_net(kind)
        self.optimizer = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.loss = torch.nn.CrossEntropyLoss()

    def epoch(self, x, y) -> None:
        self.net.train()
        order = self.torch.randperm(x.shape[0])
        for start in range(0, x.shape[0], BATCH):
            index = order[start:start + BATCH]
            self.optimizer.zero_grad(set_to_none=True)
            self.loss(self.net(x[index]), y[index]).backward()
            self.optimizer.step()

    def predict(self, x) -> None:
        self.net.eval()
        with self.torch.no_grad():
            for start in range(0, x.shape[0], 1024):
                self.net(x[start:start + 1024])


def _data(kind: str, samples: int):
    rng = np.random.default_rng(0)
    shape = (28, 28, 1) if kind == "mnist" else (32, 32, 3)
    return rng.random((samples, *shape), dtype=np.float32), rng.integers(0, 10, samples)


def measure(kind: str, repeats: int, samples: int, threads: int = 2) -> dict:
    """Median seconds of an epoch and of a predict pass on each side, their ratios, peak memory."""
    x, y = _data(kind, samples)
    model = mk.Sequential(mnist_convnet() if kind == "mnist" else cifar_convnet(), seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    contenders = {"minikeras_epoch": lambda: timed(model.fit, x, y, batch_size=BATCH, epochs=1, verbose=0),
                  "minikeras_predict": lambda: timed(model.predict, x, verbose=0)}
    result: dict = {"case": f"{kind} convnet", "samples": samples}
    torch_net = None
    try:
        import torch
        torch_net = TorchConvnet(kind, threads)
        xt, yt = torch.from_numpy(x.transpose(0, 3, 1, 2).copy()), torch.from_numpy(y)
        contenders["pytorch_epoch"] = lambda: timed(torch_net.epoch, xt, yt)
        contenders["pytorch_predict"] = lambda: timed(torch_net.predict, xt)
    except ImportError:
        pass
    times = alternate(contenders, repeats, both_orders=True)
    result.update({f"{name}_s": statistics.median(values) for name, values in times.items()})
    if torch_net is not None:
        result["epoch_vs_pytorch"] = result["minikeras_epoch_s"] / result["pytorch_epoch_s"]
        result["predict_vs_pytorch"] = result["minikeras_predict_s"] / result["pytorch_predict_s"]
    tracemalloc.start()
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    result["minikeras_epoch_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result


def report(result: dict) -> str:
    ratios = (f"  epoch ratio {result['epoch_vs_pytorch']:.2f}x, predict ratio {result['predict_vs_pytorch']:.2f}x"
              if "epoch_vs_pytorch" in result else "  (PyTorch not installed)")
    torch_text = (f" | PyTorch epoch {result['pytorch_epoch_s']:.2f} s, predict {result['pytorch_predict_s']:.2f} s"
                  if "pytorch_epoch_s" in result else "")
    return (f"{result['case']}, {result['samples']} samples, batch {BATCH}: minikeras epoch "
            f"{result['minikeras_epoch_s']:.2f} s, predict {result['minikeras_predict_s']:.2f} s{torch_text};{ratios};"
            f" minikeras epoch peak {result['minikeras_epoch_peak_mb']:.0f} MB traced")


def main(argv=None) -> list[dict]:
    import argparse

    from threadpoolctl import threadpool_limits
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    results = []
    with threadpool_limits(limits=args.threads):
        for kind in ("mnist", "cifar"):
            results.append(measure(kind, args.repeats, args.samples, args.threads))
            print(report(results[-1]), flush=True)
    return results


if __name__ == "__main__":
    main()
