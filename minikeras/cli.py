"""The ``minikeras`` command line.

    minikeras info                              versions, numpy's BLAS, whether the threaded update is active
    minikeras inspect model.h5                  summary, training position and optimizer of a saved model
    minikeras run experiment.toml               train and evaluate; model, results and plots in --out
    minikeras search experiment.toml            hyper-parameter search over the file's [search.space]
    minikeras convert model.h5 model.onnx       a saved model as ONNX, Keras' .keras or minikeras' .h5
"""
from __future__ import annotations

import argparse
import functools
import os
import sys
import warnings

from .checks import printable
from .registry import describe
from .saving.atomic import write_json
from .system_info import show_config


def inspect_model(path: str) -> None:
    """Print what a model file holds: architecture, training position, compile settings."""
    from .models import load_model
    from .saving import file_kind, is_keras_file, weight_shapes

    if is_keras_file(path):
        print(f"{path}: Keras 3 model file")
        load_model(path).summary()
        return
    if file_kind(path) == "weights":
        print(f"{path}: minikeras weights (no architecture: build the model, then model.load_weights)")
        for name, shape, dtype in weight_shapes(path):
            print(f"  {printable(name):40s} {str(shape):16s} {dtype}")
        return
    with warnings.catch_warnings(record=True) as caught:  # reported below, as a line of the description
        warnings.simplefilter("always")
        model = load_model(path)
    print(f"{path}: minikeras model")
    model.summary()
    for warning in caught:
        print(f"Warning: {warning.message}")
    optimizer = model.optimizer
    print(f"Epochs completed: {model.epoch}")
    config = model.get_compile_config()
    if optimizer is None or config is None:
        print("Not compiled (no optimizer state saved).")
        return
    print(f"Updates done: {optimizer.iterations}; next learning rate: {optimizer.current_learning_rate():.6g}")
    print(f"Optimizer: {describe(config['optimizer'])}")
    print(f"Loss: {describe(config['loss'])}; metrics: {', '.join(m.name for m in model.metrics) or '-'}")


def run_command(args) -> None:
    from .experiments import load_experiment, run_experiment

    config = load_experiment(args.experiment)
    out = args.out or os.path.join("runs", config["name"])
    if os.path.exists(os.path.join(out, "results.json")) and not args.overwrite:
        raise FileExistsError(f"{out} already holds the results of a run; pass --overwrite to replace them, or --out "
                              f"to choose another folder.")
    result = run_experiment(config, out, verbose=args.verbose)
    print(" - ".join(f"{key}: {value:.4f}" for key, value in result.items() if isinstance(value, float)))
    print(f"model, results.json and plots in {out}")


def search_command(args) -> None:
    from . import plot, search
    from .experiments import ExperimentError, load_experiment, objective

    config = load_experiment(args.experiment)
    settings = config["search"]
    if not settings["space"]:
        raise ExperimentError(f"{args.experiment}: [search.space] is empty; nothing to search.")
    out = args.out or os.path.join("runs", f"{config['name']}-search")
    os.makedirs(out, exist_ok=True)
    trial = functools.partial(objective, config)
    common = {"backend": args.backend, "workers": args.workers, "scheduler": args.scheduler, "seed": config["seed"],
              "trial_timeout": args.trial_timeout}
    trials = args.trials or settings["trials"]
    if settings["refine_trials"]:
        coarse, fine, fine_space = search.coarse_to_fine(trial, settings["space"], trials, settings["refine_trials"],
                                                         settings["metric"], settings["mode"], settings["top"],
                                                         results_path=os.path.join(out, "search"), **common)
        records = coarse + [{**r, "trial": r["trial"] + len(coarse), "round": "fine"} for r in fine]
        print(f"fine space: {fine_space}")
    else:
        records = search.random_search(trial, settings["space"], trials,
                                       results_path=os.path.join(out, "search.jsonl"), **common)
    search.print_results(records, settings["metric"], settings["mode"], title=f"{config['name']}: search")
    best = search.best_trial(records, settings["metric"], settings["mode"])
    write_json(os.path.join(out, "best.json"), best)
    for param in settings["space"]:
        plot.search_results(records, param, settings["metric"], os.path.join(out, f"search_{param}.png"))
    print(f"best: {best['params']} {settings['metric']}={best['metrics'][settings['metric']]:.4f}; results in {out}")


def convert_model(source: str, target: str) -> None:
    """Write the model saved in `source` (a minikeras ``.h5`` or a Keras ``.keras`` file) as `target`:
    ONNX for ``.onnx``, Keras 3's format for ``.keras``, a minikeras HDF5 file for ``.h5``."""
    from .models import load_model

    extension = os.path.splitext(target)[1].lower()
    if extension not in (".onnx", ".keras", ".h5"):
        raise ValueError(f"convert writes .onnx (export), .keras (Keras 3) or .h5 (minikeras) files; got {target!r}.")
    model = load_model(source)
    if extension == ".onnx":
        model.export(target, format="onnx")
    else:
        model.save(target)
    print(f"{source} -> {target}")


def main(argv: list[str] | None = None) -> int:
    from .search import BACKENDS

    parser = argparse.ArgumentParser(prog="minikeras", description="minikeras command line tools")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="versions, numpy's BLAS and the numeric paths in use")
    inspect = commands.add_parser("inspect", help="describe a saved model file")
    inspect.add_argument("path", help="a file written by model.save")
    run = commands.add_parser("run", help="train and evaluate the experiment of a TOML file")
    run.add_argument("experiment")
    run.add_argument("--out", help="output folder (default runs/<name>)")
    run.add_argument("--verbose", type=int, default=2)
    run.add_argument("--overwrite", action="store_true", help="replace the results of an earlier run in the folder")
    find = commands.add_parser("search", help="search the hyper-parameters of a TOML experiment")
    find.add_argument("experiment")
    find.add_argument("--trials", type=int, help="trials of the (first) random round; default [search] trials")
    find.add_argument("--backend", choices=BACKENDS, default="sequential")
    find.add_argument("--workers", type=int, default=2)
    find.add_argument("--scheduler", help="address of a running Dask scheduler (backend dask)")
    find.add_argument("--trial-timeout", type=float, help="seconds after which a trial is stopped and recorded as "
                                                          "'timeout' (backends sequential and process)")
    find.add_argument("--out", help="output folder (default runs/<name>-search)")
    convert = commands.add_parser("convert", help="write a saved model as ONNX (.onnx), Keras (.keras) or "
                                                  "minikeras HDF5 (.h5)")
    convert.add_argument("source", help="a file written by model.save, or a Keras .keras file")
    convert.add_argument("target", help="the file to write: .onnx, .keras or .h5")
    args = parser.parse_args(argv)
    handlers = {"info": show_config, "inspect": lambda: inspect_model(args.path), "run": lambda: run_command(args),
                "search": lambda: search_command(args), "convert": lambda: convert_model(args.source, args.target)}
    try:
        handlers[args.command]()
    except KeyboardInterrupt:
        print("minikeras: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 (every failure ends as one line and a non-zero exit)
        if args.debug:
            raise
        print(f"minikeras: error: {error_line(error)}", file=sys.stderr)
        return 1 if isinstance(error, MemoryError) else 2
    return 0


def error_line(error: BaseException, limit: int = 500) -> str:
    """One line for `error`: its message (its class when it has none), cut to `limit` characters,
    control characters escaped so that nothing from a file reaches the terminal as a command."""
    text = str(error) or type(error).__name__
    if not isinstance(error, (ValueError, OSError, ImportError, RuntimeError)):
        text = f"{type(error).__name__}: {text} (run with --debug for the traceback)"
    text = printable(text)
    return text if len(text) <= limit else text[:limit] + "..."


if __name__ == "__main__":
    sys.exit(main())
