"""Turn the seed experiments' results.json files into the tables of docs/results.md.

    python -m examples.report RUNS_FOLDER [--images docs/images/results]

Prints one markdown table per experiment found under RUNS_FOLDER (cifar_2layer, cifar_kdeep,
cifar_init, mnist_tricks, best_mlps...) and copies each run's learning-curve and confusion-matrix
PNGs into --images, so that the page shows exactly what the scripts produced.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import shutil


def table(runs: list[dict]) -> str:
    lines = ["| run | train | validation | test | published test | epochs | s/epoch |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for run in runs:
        published = run.get("published_test_accuracy")
        lines.append(f"| {run['name']} | {run['train_accuracy']:.2%} | {run['val_accuracy']:.2%} | "
                     f"{run['test_accuracy']:.2%} | {'-' if published is None else f'{published:.2%}'} | "
                     f"{run['epochs']} | {run['seconds_per_epoch']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=pathlib.Path)
    parser.add_argument("--images", type=pathlib.Path)
    args = parser.parse_args(argv)
    for path in sorted(args.runs.glob("*/results.json")):
        payload = json.loads(path.read_text())
        print(f"### {payload['experiment']} ({path.parent.name})\n")
        print(table(payload["runs"]) + "\n")
        if args.images:
            target = args.images / path.parent.name
            target.mkdir(parents=True, exist_ok=True)
            for png in path.parent.glob("*.png"):
                shutil.copy(png, target / png.name)


if __name__ == "__main__":
    main()
