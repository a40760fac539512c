"""Command-line options shared by the investigations (bench/investigations/)."""
from __future__ import annotations

import argparse

from bench.cases import Case, training_case


def _experiment_parser(description: str, repeats: int) -> argparse.ArgumentParser:
    """The options every experiment of the bench takes: ``--repeats --threads``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=repeats, help="alternating epochs per contender")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads")
    return parser


def case_experiment_parser(description: str, repeats: int) -> argparse.ArgumentParser:
    """Options of the experiments on one training case (bench.blas_update, bench.breakdown):
    ``--case --repeats --samples --threads``; add more, then call `parse_case_experiment`."""
    parser = _experiment_parser(description, repeats)
    parser.add_argument("--case", default="CIFAR seed net, BN, batch 100", help="the case's name, or a unique part")
    parser.add_argument("--samples", type=int, help="fewer samples than the case's")
    return parser


def parse_case_experiment(parser: argparse.ArgumentParser, argv) -> tuple[argparse.Namespace, Case]:
    """The parsed options and their case (with `--samples` applied); an unknown case is a usage error."""
    args = parser.parse_args(argv)
    try:
        case = training_case(args.case)
    except ValueError as error:
        parser.error(str(error))
    case.samples = args.samples or case.samples
    return args, case


def seed_net_experiment(argv, description: str, repeats: int) -> tuple[argparse.Namespace, Case]:
    """Options of the experiments on the CIFAR seed network with BatchNorm (bench.floor, bench.handwritten,
    bench.fused): ``--repeats --samples --batch-size --threads``; returns them and the case."""
    parser = _experiment_parser(description, repeats)
    parser.add_argument("--samples", type=int, default=45000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)
    return args, Case("CIFAR seed net, BN", [3072, 50, 50, 10], args.batch_size, args.samples)

