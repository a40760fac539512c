"""minikeras against the matrix-product floor and PyTorch, measured side by side in one run.

    python -m bench [--repeats 5] [--quick] [--json bench/results.json] [--markdown table.md]

Every case alternates one epoch of each contender (minikeras `fit(epochs=1)`: shuffling,
gathering, forward, backward, update, logging; the floor, bench/floor.py: only the unavoidable
matrix products on preallocated arrays, and the same with each shuffled batch gathered first;
the same network written out by hand in numpy, bench/handwritten.py; PyTorch: a plain CPU
training loop) and reports the medians and the ratios to the floor. BLAS
threads are pinned to the same number on all sides. PyTorch is optional (pip install
torch==2.13.0): without it its columns show "-".
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import minikeras as mk
from bench import torch_reference
from bench.floor import MatmulFloor
from bench.handwritten import HandwrittenMLP


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


def learning_rate(case: Case):
    """The case's learning rate: the seed experiments' cyclical schedule, or the float `case.lr`."""
    return mk.schedules.CyclicLR(1e-5, 1e-1, step_size=2250) if case.cyclic else case.lr


def minikeras_model(case: Case) -> mk.Model:
    model = mk.Model(input_dim=case.widths[0], seed=0)
    for units in case.widths[1:-1]:
        model.add_layer(units, case.activation, batch_norm=case.batch_norm, l2=case.l2)
    model.add_layer(case.widths[-1], "softmax", l2=case.l2)
    model.compile(optimizer=mk.optimizers.SGD(learning_rate(case), momentum=case.momentum), metrics=["accuracy"])
    return model


def seed_net_experiment(argv, description: str, repeats: int) -> tuple[argparse.Namespace, Case]:
    """Options of the experiments on the CIFAR seed network with BatchNorm (bench.floor, bench.handwritten,
    bench.fused): ``--repeats --samples --batch-size --threads``; returns them and the case."""
    parser = _experiment_parser(description, repeats)
    parser.add_argument("--samples", type=int, default=45000)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)
    return args, Case("CIFAR seed net, BN", [3072, 50, 50, 10], args.batch_size, args.samples)


def random_data(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """float32 inputs and class ids of the case's shapes."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((case.samples, case.widths[0]), dtype=np.float32)
    return x, rng.integers(0, case.widths[-1], case.samples)


def alternate(contenders: dict, repeats: int, both_orders: bool = False) -> dict[str, list[float]]:
    """Seconds of `repeats` runs of each contender (a function returning its seconds), taken in
    turns so that the machine's drift hits all alike, after one warm-up run each. With
    `both_orders` every other turn runs them in reverse, so that none profits from its place."""
    times = {name: [] for name in contenders}
    for run in contenders.values():  # warm-up: allocations, BLAS thread start
        run()
    for turn in range(repeats):
        order = list(contenders.items())
        for name, run in reversed(order) if both_orders and turn % 2 else order:
            times[name].append(run())
    return times


def print_against_floor(times: dict[str, list[float]]) -> None:
    """One line per contender of `alternate`'s times: its fastest and median run, each also as a
    ratio to the fastest and median of the contender named "floor"."""
    fastest_floor, median_floor = min(times["floor"]), statistics.median(times["floor"])
    width = max(map(len, times))
    for name, values in times.items():
        fastest, median = min(values), statistics.median(values)
        print(f"{name:{width}s}  fastest {fastest:.3f} s ({fastest / fastest_floor:.2f}x)  "
              f"median {median:.3f} s ({median / median_floor:.2f}x)")


def measure(case: Case, repeats: int, threads: int) -> dict:
    x, y = random_data(case)
    model, floor = minikeras_model(case), MatmulFloor(case.widths, case.batch_size)
    torch_net = None
    if torch_reference.available():
        torch_net = torch_reference.TorchMLP(case.widths, case.activation, case.batch_norm, case.l2, case.momentum,
                                             threads, case.cyclic, case.lr)
        tx, ty = torch_net.tensors(x, y)
    contenders = {
        "minikeras": (lambda: timed(model.predict, x, batch_size=case.batch_size)) if case.predict else
                     (lambda: timed(model.fit, x, y, epochs=1, batch_size=case.batch_size, verbose=0)),
        "floor": (lambda: floor.predict_seconds(x)) if case.predict else (lambda: floor.epoch_seconds(x)),
    }
    if not case.predict:
        contenders["floor_shuffled"] = lambda: floor.epoch_seconds(x, shuffled=True)
        net = HandwrittenMLP(case.widths, case.batch_size, case.batch_norm, case.activation, case.l2, case.momentum)
        rate = model.optimizer.learning_rate
        contenders["handwritten"] = lambda: net.epoch_seconds(x, y, rate if callable(rate) else lambda t: rate)
    if torch_net is not None:
        contenders["pytorch"] = ((lambda: torch_net.predict_seconds(tx, case.batch_size)) if case.predict else
                                 (lambda: torch_net.epoch_seconds(tx, ty, case.batch_size)))
    times = alternate(contenders, repeats)
    medians = {name: statistics.median(values) for name, values in times.items()}
    row = {"case": case.name, "samples": case.samples, **{f"{k}_s": v for k, v in medians.items()},
           "epochs_s": times}  # every measured epoch, for the spread behind each median
    row["minikeras_vs_floor"] = medians["minikeras"] / medians["floor"]
    if "floor_shuffled" in medians:
        row["minikeras_vs_floor_shuffled"] = medians["minikeras"] / medians["floor_shuffled"]
        row["handwritten_vs_floor"] = medians["handwritten"] / medians["floor"]
        row["minikeras_vs_handwritten"] = medians["minikeras"] / medians["handwritten"]
    if "pytorch" in medians:
        row["pytorch_vs_floor"] = medians["pytorch"] / medians["floor"]
        row["pytorch_vs_minikeras"] = medians["pytorch"] / medians["minikeras"]
    return row


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def environment(threads: int) -> dict:
    blas = [{key: info.get(key) for key in ("internal_api", "version", "num_threads", "architecture")}
            for info in threadpool_info()]
    torch_version = None
    if torch_reference.available():
        import torch
        torch_version = torch.__version__
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor()) if os.path.exists("/proc/cpuinfo") else platform.processor()
    return {"python": platform.python_version(), "numpy": np.__version__, "torch": torch_version,
            "minikeras": mk.__version__, "cpu": cpu, "cpus": os.cpu_count(), "blas_threads": threads, "blas": blas,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
            "date": time.strftime("%Y-%m-%d")}


COLUMNS = [("case", "case", "{}"), ("samples", "samples", "{:,}"), ("minikeras s", "minikeras_s", "{:.3f}"),
           ("floor s", "floor_s", "{:.3f}"), ("floor + gather s", "floor_shuffled_s", "{:.3f}"),
           ("hand-written s", "handwritten_s", "{:.3f}"), ("PyTorch s", "pytorch_s", "{:.3f}"),
           ("minikeras / floor", "minikeras_vs_floor", "{:.2f}x"),
           ("minikeras / (floor + gather)", "minikeras_vs_floor_shuffled", "{:.2f}x"),
           ("hand-written / floor", "handwritten_vs_floor", "{:.2f}x"),
           ("minikeras / hand-written", "minikeras_vs_handwritten", "{:.2f}x"),
           ("PyTorch / floor", "pytorch_vs_floor", "{:.2f}x"),
           ("PyTorch / minikeras", "pytorch_vs_minikeras", "{:.2f}x")]


def markdown(rows: list[dict], env: dict) -> str:
    """The results as a markdown table under a line describing the machine; "-": not measured."""
    blas = env["blas"][0] if env["blas"] else {}
    lines = [f"Measured {env['date']} on {env['cpu']} ({env['cpus']} cores), {env['blas_threads']} BLAS threads, "
             f"OpenBLAS {blas.get('version', '?')} ({blas.get('architecture', '?')} kernels), "
             f"OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}, numpy {env['numpy']}, "
             f"PyTorch {env['torch'] or 'not installed'}.",
             "",
             "| " + " | ".join(header for header, _, _ in COLUMNS) + " |",
             "| --- | " + " | ".join("---:" for _ in COLUMNS[1:]) + " |"]
    for row in rows:
        cells = [form.format(row[key]) if key in row else "-" for _, key, form in COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5, help="measured epochs per contender and case (median)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="fewer samples per case")
    parser.add_argument("--only", help="run the cases whose name contains this text")
    parser.add_argument("--json", help="write the results to this file")
    parser.add_argument("--markdown", help="write the results table to this file")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.threads):
        env = environment(args.threads)
        print(json.dumps({k: env[k] for k in ("cpu", "blas_threads", "OPENBLAS_CORETYPE", "numpy", "torch")}))
        if not torch_reference.available():
            print("PyTorch is not installed: its column is skipped (pip install torch==2.13.0).")
        rows = []
        for case in cases(args.quick):
            if args.only and args.only not in case.name:
                continue
            row = measure(case, args.repeats, args.threads)
            rows.append(row)
            torch_text = f"  pytorch {row['pytorch_s']:.3f} s" if "pytorch_s" in row else ""
            print(f"{case.name:48s} minikeras {row['minikeras_s']:.3f} s  floor {row['floor_s']:.3f} s{torch_text}  "
                  f"ratio {row['minikeras_vs_floor']:.2f}x", flush=True)
    table = markdown(rows, env)
    print(table)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "results": rows}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(table)
    return rows


if __name__ == "__main__":
    main()
