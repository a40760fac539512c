"""``model.summary()``: a rich table of layers, output shapes and parameter counts."""
from __future__ import annotations

import io

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _shape_text(shape) -> str:
    return "(None, " + ", ".join(map(str, shape)) + ")"


def summary_table(model) -> Table:
    """The table `print_summary` prints (layers must be built)."""
    # Names are text, not markup: a layer named "[/]" must print as such.
    table = Table(title=f'Model "{escape(model.name)}"', title_justify="left")
    table.add_column("Layer (type)")
    table.add_column("Output shape")
    table.add_column("Param #", justify="right")
    links = model.connections() if hasattr(model, "connections") else None
    if links is not None:
        table.add_column("Connected to")
    for layer in model.layers:
        shape = _shape_text(layer.steps()[-1].built_output_shape()) if layer.built else "?"
        row = [escape(f"{layer.name} ({type(layer).__name__})"), shape, f"{layer.count_params():,}"]
        if links is not None:
            row.append(escape(", ".join(links.get(str(layer.name), [])) or "-"))
        table.add_row(*row)
    return table


def totals_text(model) -> str:
    trainable = sum(array.size for array in model.trainable_weights)
    frozen = sum(array.size for array in model.non_trainable_weights)
    return (f"Total params: {trainable + frozen:,}\nTrainable params: {trainable:,}\n"
            f"Non-trainable params: {frozen:,}")


def print_summary(model, print_fn=None) -> None:
    """Print the summary with rich, or pass its plain text to `print_fn` line by line."""
    console = Console() if print_fn is None else Console(width=100, record=True, file=io.StringIO())
    console.print(summary_table(model))
    console.print(totals_text(model), markup=False, highlight=False)
    if print_fn is not None:
        for line in console.export_text().splitlines():
            print_fn(line)
