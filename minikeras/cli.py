"""The ``minikeras`` command line.

    minikeras inspect model.h5     summary, training position and optimizer of a saved model
"""
from __future__ import annotations

import argparse
import sys

from .registry import describe


def inspect_model(path: str) -> None:
    """Print what a model file holds: architecture, training position, compile settings."""
    from .saving import load_model

    model = load_model(path)
    print(f"{path}: minikeras model")
    model.summary()
    optimizer = model.optimizer
    print(f"Epochs completed: {model.epoch}")
    if optimizer is None:
        print("Not compiled (no optimizer state saved).")
        return
    config = model.get_compile_config()
    print(f"Updates done: {optimizer.iterations}; next learning rate: {optimizer.current_learning_rate():.6g}")
    print(f"Optimizer: {describe(config['optimizer'])}")
    print(f"Loss: {describe(config['loss'])}; metrics: {', '.join(m.name for m in model.metrics) or '-'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minikeras", description="minikeras command line tools")
    commands = parser.add_subparsers(dest="command", required=True)
    inspect = commands.add_parser("inspect", help="describe a saved model file")
    inspect.add_argument("path", help="a file written by model.save")
    args = parser.parse_args(argv)
    try:
        if args.command == "inspect":
            inspect_model(args.path)
    except (ValueError, FileNotFoundError) as error:
        print(f"minikeras: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
