"""Where a memmap epoch's time goes: the CIFAR seed net's epoch on a float32 memmap (a 1.2 GB
file by default), with the batches read ahead by minikeras' background thread (the disk asked for
the rows of coming batches once reads wait on it, or never asked), or read in the training
thread, from the page cache or from the disk (the file's cached pages evicted with
``posix_fadvise(DONTNEED)`` as training begins), with 1 or 2 BLAS threads. Each
variant runs in a fresh process, the variants alternating; printed: seconds of the epoch after
the check (median over turns).

    python -m bench.investigations.memmap_reading [--rows 100000] [--turns 2] [--threads 1,2]
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench.memmap import _write, seed_net

READINGS = ("read ahead", "read ahead, no asks", "in thread")


def _epoch(path: str, reading: str, evict: bool, threads: int) -> float:
    """Seconds of one epoch from `on_train_begin` to `on_train_end`, in this process."""
    from threadpoolctl import threadpool_limits

    import minikeras as mk
    from minikeras import data_utils, row_readers
    if reading == "in thread":
        data_utils.prefetched = lambda batches, size, what: batches
    if reading != "read ahead":
        row_readers.RowReader.read_soon = lambda self, index: None  # type: ignore[method-assign]
    times: list[float] = []

    class Timed(mk.callbacks.Callback):
        def on_train_begin(self, logs=None):
            if evict:
                fd = os.open(path, os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                os.close(fd)
            times.append(time.perf_counter())

        def on_train_end(self, logs=None):
            times.append(time.perf_counter())

    with threadpool_limits(limits=threads):
        x = np.load(path, mmap_mode="r")
        y = np.random.default_rng(1).integers(0, 10, len(x))
        model = seed_net(mk)
        model.fit(x, y, batch_size=100, epochs=1, verbose=0, callbacks=[Timed()])
    return times[1] - times[0]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--threads", default="1,2", help="BLAS thread counts to try")
    args = parser.parse_args(argv)
    variants = list(itertools.product(READINGS, (False, True), [int(t) for t in args.threads.split(",")]))
    seconds: dict[tuple, list[float]] = {variant: [] for variant in variants}
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "x.npy")
        _write(path, args.rows)
        for _ in range(args.turns):
            for variant in variants:
                code = f"import bench.investigations.memmap_reading as m; print(m._epoch({path!r}, *{variant!r}))"
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                seconds[variant].append(float(out.stdout.strip().splitlines()[-1]))
    result = {}
    for (reading, evict, threads), values in seconds.items():
        name = f"{reading}, {'disk' if evict else 'page cache'}, {threads} BLAS"
        result[name] = statistics.median(values)
        print(f"{name:40s} {result[name]:.2f} s")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
