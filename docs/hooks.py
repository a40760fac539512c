"""MkDocs hooks (mkdocs.yml): run every page's Python examples and show what they print, include
source code by name, and turn LaTeX into MathML — all at build time, offline.

- ```` ```python ```` blocks run in order, one namespace per page, in a scratch folder, on the
  small data files below; a block that prints gets an "Output" block after it, and the PNG files
  a block writes are shown under it. A block that raises fails the build, naming page and block.
- ``<!-- source: minikeras.layers.dense.Dense.backward -->`` becomes that object's source code.
- ``<!-- run: examples/spirals.py --epochs 30 -->`` runs that script (as ``python`` would, in a
  scratch folder) and shows what it prints and the PNG files it writes.
- ``$...$`` and ``$$...$$`` (pymdownx.arithmatex) become MathML (latex2mathml): no script, no CDN.

The data: MNIST is the bundled real subset (`minikeras.datasets.mnist_small`: 6,000 training and
1,000 test digits) written as the official IDX files; CIFAR-10 is 200 random images
per batch in the official archive layout (the real archive is 163 MB).
"""
from __future__ import annotations

import contextlib
import gzip
import html
import importlib
import inspect
import io
import os
import pathlib
import pickle
import re
import runpy
import shutil
import sys
import tarfile
import tempfile
import textwrap

import numpy as np
from latex2mathml.converter import convert

PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```\n", re.S | re.M)
SOURCE_MARKER = re.compile(r"^<!-- source: ([\w.]+) -->$", re.M)
RUN_MARKER = re.compile(r"^<!-- run: (\S+)((?: \S+)*) -->$", re.M)
ROOT = pathlib.Path(__file__).resolve().parent.parent
MATH = re.compile(r'<(span|div) class="arithmatex">\\[(\[](.*?)\\[)\]]</\1>', re.S)
MAX_OUTPUT_LINES = 40

_state: dict = {}


# -- data the examples load --------------------------------------------------------------------------
def _idx(array: np.ndarray) -> bytes:
    header = (0x0800 | array.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_data(folder: pathlib.Path) -> None:
    from minikeras.datasets import mnist_small

    (x_train, y_train), (x_test, y_test) = mnist_small.load_data()
    mnist = folder / "mnist"
    mnist.mkdir(parents=True)
    for name, array in {"train-images-idx3-ubyte.gz": x_train, "train-labels-idx1-ubyte.gz": y_train,
                        "t10k-images-idx3-ubyte.gz": x_test, "t10k-labels-idx1-ubyte.gz": y_test}.items():
        (mnist / name).write_bytes(gzip.compress(_idx(array), mtime=0))
    rng = np.random.default_rng(0)
    with tarfile.open(folder / "cifar-10-python.tar.gz", "w:gz") as archive:
        names = [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]
        members = {name: {b"batch_label": name.encode(), b"labels": rng.integers(0, 10, 200).tolist(),
                          b"data": rng.integers(0, 256, (200, 3072), dtype=np.uint8),
                          b"filenames": [b"img.png"] * 200} for name in names}
        members["batches.meta"] = {b"label_names": [b"airplane"] * 10, b"num_cases_per_batch": 200,
                                   b"num_vis": 3072}
        for name, content in members.items():
            data = pickle.dumps(content, protocol=4)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))


def on_pre_build(config) -> None:
    root = pathlib.Path(tempfile.mkdtemp(prefix="minikeras-docs-"))
    _write_data(root / "data")
    _state.update(root=root, data=root / "data")


def on_post_build(config) -> None:
    shutil.rmtree(_state.pop("root", ""), ignore_errors=True)


# -- source by name ----------------------------------------------------------------------------------
def _source(dotted: str) -> str:
    """The source code of the object at the dotted path (a module, then attributes)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            obj = getattr(obj, attribute)
        return textwrap.dedent(inspect.getsource(obj))
    raise ValueError(f"Cannot find {dotted!r} to show its source.")


def _include_sources(markdown: str) -> str:
    return SOURCE_MARKER.sub(lambda match: f"```python title=\"{match.group(1)}\"\n{_source(match.group(1))}```",
                             markdown)


# -- running the examples ----------------------------------------------------------------------------
def _output_block(text: str) -> str:
    lines = text.rstrip("\n").splitlines()
    if len(lines) > MAX_OUTPUT_LINES:
        lines = [*lines[:MAX_OUTPUT_LINES], f"... ({len(lines) - MAX_OUTPUT_LINES} more lines)"]
    return "```text title=\"Output\"\n" + "\n".join(lines) + "\n```\n"


def _figures(folder: pathlib.Path, before: set, page, site_dir: pathlib.Path, number, recursive=False) -> str:
    new = sorted(set(folder.rglob("*.png") if recursive else folder.glob("*.png")) - before)
    html_parts = []
    for index, figure in enumerate(new):
        name = f"{page.file.src_uri.replace('/', '-').removesuffix('.md')}-{number}-{index}.png"
        target = site_dir / "generated" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(figure, target)
        prefix = "../" * page.file.src_uri.count("/")
        html_parts.append(f'<img src="{prefix}generated/{name}" alt="{figure.name}, as the code above draws it">')
    return "\n".join(html_parts) + ("\n" if html_parts else "")


def _run_examples(markdown: str, page, config) -> str:
    blocks = list(PYTHON_BLOCK.finditer(markdown))
    if not blocks:
        return markdown
    folder = _state["root"] / page.file.src_uri.replace("/", "-")
    folder.mkdir()
    namespace: dict = {"__name__": "__main__"}
    pieces, position = [], 0
    previous = (os.getcwd(), os.environ.get("MINIKERAS_DATA"))
    os.chdir(folder)
    os.environ["MINIKERAS_DATA"] = str(_state["data"])
    try:
        for number, block in enumerate(blocks, start=1):
            before = set(folder.glob("*.png"))
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed):
                    exec(compile(block.group(1), f"{page.file.src_uri} (block {number})", "exec"), namespace)
            except Exception as error:
                raise RuntimeError(f"{page.file.src_uri}: Python block {number} failed: {error!r}") from error
            pieces += [markdown[position:block.end()], _output_block(printed.getvalue()) if printed.getvalue()
                       else "", _figures(folder, before, page, pathlib.Path(config["site_dir"]), number)]
            position = block.end()
    finally:
        os.chdir(previous[0])
        if previous[1] is None:
            os.environ.pop("MINIKERAS_DATA", None)
        else:
            os.environ["MINIKERAS_DATA"] = previous[1]
    return "".join(pieces) + markdown[position:]


def _run_scripts(markdown: str, page, config) -> str:
    def run(match: re.Match) -> str:
        script, arguments = match.group(1), match.group(2).split()
        folder = pathlib.Path(tempfile.mkdtemp(dir=_state["root"]))
        printed = io.StringIO()
        previous_directory, previous_argv = os.getcwd(), sys.argv
        os.chdir(folder)
        sys.argv = [script, *arguments]
        try:
            with contextlib.redirect_stdout(printed):
                runpy.run_path(str(ROOT / script), run_name="__main__")
        except SystemExit as end:
            if end.code not in (None, 0):
                raise RuntimeError(f"{page.file.src_uri}: {script} exited with {end.code}") from None
        finally:
            os.chdir(previous_directory)
            sys.argv = previous_argv
        shown = f"```console\n$ python {script}{match.group(2)}\n```\n" + _output_block(printed.getvalue())
        return shown + _figures(folder, set(), page, pathlib.Path(config["site_dir"]), f"run-{match.start()}",
                                recursive=True)

    return RUN_MARKER.sub(run, markdown)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return _run_examples(_run_scripts(_include_sources(markdown), page, config), page, config)


# -- math ---------------------------------------------------------------------------------------------
def _mathml(match: re.Match) -> str:
    latex = html.unescape(match.group(2))
    return convert(latex, display="block" if match.group(1) == "div" else "inline")


def on_page_content(content: str, page, config, files) -> str:
    return MATH.sub(_mathml, content)
