"""An epoch of the CIFAR seed net (3072-50-50-10, batch norm, batch 100) from a 1.2 GB float32
memmap: peak resident memory, and time against the same data in memory, each epoch in a fresh
process (2 BLAS threads), the two alternating, in one run; shuffled (fit's default), then in order
(``shuffle=False``).

    python -m bench.memmap [--rows 100000] [--repeats 3]

The memmap's rows are read from its file batch by batch, 3 batches ahead by a background thread
(`minikeras.row_readers`): a read a row when shuffled, one a batch in order. The in-memory run
holds the whole array. The file was just written, so it is in the kernel's page cache: the reads
cost system calls and copies, not disk waits.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

WIDTHS = (3072, 50, 50, 10)


def _write(path: str, rows: int) -> None:
    """A float32 .npy of `rows` x 3072 random values, written a chunk at a time."""
    array = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, WIDTHS[0]))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 10000):
        stop = min(start + 10000, rows)
        array[start:stop] = rng.standard_normal((stop - start, WIDTHS[0]), dtype=np.float32)
    array.flush()
    del array


def seed_net(mk):
    """The compiled CIFAR seed net of `mk` (minikeras, imported in the measuring process)."""
    model = mk.Model(input_dim=WIDTHS[0], seed=0)
    for units in WIDTHS[1:-1]:
        model.add_layer(units, "relu", batch_norm=True)
    model.add_layer(WIDTHS[-1], "softmax")
    model.compile(optimizer=mk.optimizers.SGD(0.01))
    return model


def _epoch(path: str, in_memory: bool, shuffle: bool = True) -> dict:
    """One measured epoch (the first of a fresh model)."""
    from threadpoolctl import threadpool_limits

    import minikeras as mk
    with threadpool_limits(limits=2):
        x = np.load(path) if in_memory else np.load(path, mmap_mode="r")
        y = np.random.default_rng(1).integers(0, 10, len(x))
        model = seed_net(mk)
        start = time.perf_counter()
        model.fit(x, y, batch_size=100, epochs=1, verbose=0, shuffle=shuffle)
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    """This process's resident-memory high-water mark (VmHWM: since its exec, unlike ru_maxrss)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _cpu() -> str:
    with open("/proc/cpuinfo") as info:
        return next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), "?")


def _in_subprocess(path: str, in_memory: bool, shuffle: bool) -> dict:
    code = f"import json, bench.memmap as b; print(json.dumps(b._epoch({path!r}, {in_memory}, {shuffle})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of 3072 float32 (100,000: 1.2 GB)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.npy")
        _write(path, args.rows)
        size_gb = os.path.getsize(path) / 1e9
        runs: dict[tuple, list] = {(kind, shuffle): [] for shuffle in (True, False) for kind in ("memmap", "memory")}
        for _ in range(args.repeats):  # alternating, so that the machine's drift hits all alike
            for kind, shuffle in runs:
                runs[kind, shuffle].append(_in_subprocess(path, kind == "memory", shuffle))
    seconds = {key: statistics.median(run["seconds"] for run in found) for key, found in runs.items()}
    result = {"cpu": _cpu(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
              "file_gb": round(size_gb, 2), "memmap_epoch_s": seconds["memmap", True],
              "in_memory_epoch_s": seconds["memory", True],
              "throughput_memmap_vs_memory": seconds["memory", True] / seconds["memmap", True],
              "in_order_memmap_epoch_s": seconds["memmap", False],
              "in_order_in_memory_epoch_s": seconds["memory", False],
              "in_order_throughput_memmap_vs_memory": seconds["memory", False] / seconds["memmap", False],
              "memmap_peak_rss_mb": max(run["peak_rss_mb"] for key, found in runs.items() if key[0] == "memmap"
                                        for run in found),
              "in_memory_peak_rss_mb": max(run["peak_rss_mb"] for run in runs["memory", True])}
    print(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
