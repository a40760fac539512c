"""What numpy's BLAS axpy (minikeras.backend.blas) saves in the update, against the same update as ufuncs.

Two identical models of one bench case train alternately, one with the BLAS path and one with
it switched off, in turns of both orders (ABBA) so that neither profits from going second; prints
the median epoch of each and the median of the paired ratios.

    python -m bench.investigations.blas_update [--case "CIFAR seed net, BN, batch 100"] [--repeats 11] [--min-size N]
"""
from __future__ import annotations

import contextlib
import statistics
from unittest import mock

from threadpoolctl import threadpool_limits

from bench.cases import minikeras_model, random_data
from bench.options import case_experiment_parser, parse_case_experiment
from bench.timing import alternate, timed
from minikeras.backend import blas


def _epoch(model, x, y, batch_size: int, use_blas: bool) -> float:
    with contextlib.nullcontext() if use_blas else blas.ufuncs_only():
        return timed(model.fit, x, y, epochs=1, batch_size=batch_size, verbose=0)


def main(argv=None) -> float:
    parser = case_experiment_parser(__doc__, repeats=11)
    parser.add_argument("--min-size", type=int, default=blas.MIN_BLAS_SIZE, help="blas.MIN_BLAS_SIZE to try")
    args, case = parse_case_experiment(parser, argv)
    x, y = random_data(case)
    with threadpool_limits(limits=args.threads), mock.patch.object(blas, "MIN_BLAS_SIZE", args.min_size):
        ufunc_model, blas_model = minikeras_model(case), minikeras_model(case)
        contenders = {"ufuncs": lambda: _epoch(ufunc_model, x, y, case.batch_size, use_blas=False),
                      "blas": lambda: _epoch(blas_model, x, y, case.batch_size, use_blas=True)}
        times = alternate(contenders, args.repeats, both_orders=True)
    ratio = statistics.median(b / u for u, b in zip(times["ufuncs"], times["blas"]))
    print(f"{case.name}, {case.samples:,} samples, BLAS axpy from {args.min_size:,} elements "
          f"(available: {blas.available()}); medians of {args.repeats} epochs")
    print(f"ufuncs {statistics.median(times['ufuncs']):.3f} s  blas {statistics.median(times['blas']):.3f} s  "
          f"median paired ratio blas / ufuncs {ratio:.3f}")
    return ratio


if __name__ == "__main__":
    main()
