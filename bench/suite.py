"""minikeras against the matrix-product floor and PyTorch, measured side by side in one run.

    python -m bench [--repeats 5] [--quick] [--json bench/results.json] [--markdown table.md]

Every case alternates one epoch of each contender (minikeras: one epoch of a multi-epoch `fit`,
timed from its start to its end by a callback, which then runs the others' turn: shuffling,
gathering, forward, backward, update, logging, but not the checks a `fit` call makes once; the
floor, bench/floor.py: only the unavoidable matrix products on preallocated arrays, and the same
with each shuffled batch gathered first;
the same network written out by hand in numpy, bench/handwritten.py; PyTorch: a plain CPU
training loop, bench/torch_reference.py) and reports the medians and the ratios to the floor.
BLAS threads are pinned to the same number on all sides; the header says whether minikeras'
threaded BLAS update is active. The cases are in bench/cases.py; the experiments that explain
the numbers are in bench/investigations/. PyTorch is optional (pip install
torch==2.13.0): without it its columns show "-".
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import minikeras as mk
from bench import convnet, custom_layer, torch_reference
from bench.cases import Case, cases, minikeras_model, random_data
from bench.floor import MatmulFloor
from bench.handwritten import HandwrittenMLP
from bench.timing import alternate, alternate_with_fit, timed


def measure(case: Case, repeats: int, threads: int) -> dict:
    x, y = random_data(case)
    model, floor = minikeras_model(case), MatmulFloor(case.widths, case.batch_size)
    torch_net = None
    if torch_reference.available():
        torch_net = torch_reference.TorchMLP(case.widths, case.activation, case.batch_norm, case.l2, case.momentum,
                                             threads, case.cyclic, case.lr)
        tx, ty = torch_net.tensors(x, y)
    contenders = {
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
    if case.predict:
        times = alternate({"minikeras": lambda: timed(model.predict, x, batch_size=case.batch_size, verbose=0),
                           **contenders},
                          repeats)
    else:  # minikeras' epochs are timed inside one fit of repeats + 1 epochs, as a real run trains
        times = alternate_with_fit(
            lambda epochs, callbacks: model.fit(x, y, epochs=epochs, batch_size=case.batch_size, verbose=0,
                                                callbacks=callbacks), contenders, repeats)
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


def _blas_update_text() -> str:
    status = mk.backend.blas_status()
    return f"{'active' if status['active'] else 'off'}: {status['reason']}"


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
            "blas_update": _blas_update_text(),
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
             f"OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}, threaded BLAS update {env['blas_update']}, "
             f"numpy {env['numpy']}, "
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
        print(f"threaded BLAS update: {env['blas_update']}")
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
        if not args.only or args.only in custom_layer.NAME:
            custom = custom_layer.measure(args.repeats, 2560 if args.quick else 12800)
            print(f"{custom_layer.NAME}: built-in {custom['built_in_s']:.3f} s  custom {custom['custom_s']:.3f} s  "
                  f"ratio {custom['custom_vs_built_in']:.2f}x", flush=True)
            env["custom_layer"] = custom
        if args.only and args.only in convnet.NAME:
            env["convnets"] = [convnet.measure(kind, args.repeats, 1280 if args.quick else 6400, args.threads)
                               for kind in ("mnist", "cifar")]
            for result in env["convnets"]:
                print(convnet.report(result), flush=True)
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
