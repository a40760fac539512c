"""The documentation site: built strictly (every page's Python examples run during the build, see
docs/hooks.py), then checked as its readers see it — links, images, math, the API reference — and
the README's examples run on small data.

The README's data are small files in the official formats (tests/datasets/conftest.py) placed
under $MINIKERAS_DATA, so the examples go through the real loaders.
"""
import html
import importlib
import inspect
import os
import pathlib
import re
import subprocess
import sys
import urllib.parse

import pytest

from tests.datasets.conftest import cifar_files, write_cifar_archive, write_mnist

ROOT = pathlib.Path(__file__).resolve().parent.parent
API_PAGES = {"minikeras": "api/models.html", "minikeras.layers": "api/layers.html",
             "minikeras.activations": "api/activations.html", "minikeras.losses": "api/losses.html",
             "minikeras.metrics": "api/metrics.html", "minikeras.optimizers": "api/optimizers.html",
             "minikeras.optimizers.schedules": "api/schedules.html", "minikeras.callbacks": "api/callbacks.html",
             "minikeras.initializers": "api/initializers.html", "minikeras.regularizers": "api/regularizers.html",
             "minikeras.datasets": "api/datasets.html", "minikeras.preprocessing": "api/preprocessing.html",
             "minikeras.search": "api/search.html", "minikeras.plot": "api/plot.html",
             "minikeras.random": "api/random.html"}


def python_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def test_readme_examples_run(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write_mnist(data / "mnist")
    write_cifar_archive(data / "cifar-10-python.tar.gz", cifar_files(n=200))
    monkeypatch.chdir(tmp_path)  # files the examples write land in a temporary folder
    monkeypatch.setenv("MINIKERAS_DATA", str(data))
    namespace: dict = {}
    for block in python_blocks(ROOT / "README.md"):
        exec(compile(block, "README.md", "exec"), namespace)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> pathlib.Path:
    """`mkdocs build --strict`: every page in the nav, every link to a page resolves, every Python
    example runs."""
    folder = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    return folder


def _pages(site):
    return {path.relative_to(site).as_posix(): path.read_text() for path in site.rglob("*.html")}


def _reader_text(page: str) -> str:
    """What a reader sees as prose: the page without code, scripts and tags."""
    prose = re.sub(r"<(pre|code|script|style|math)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", prose))


def test_every_internal_link_image_and_anchor_resolves(site):
    pages = _pages(site)
    ids = {name: set(re.findall(r'\bid="([^"]+)"', text)) for name, text in pages.items()}
    broken = []
    for name, text in pages.items():
        if name == "404.html":  # served for any missing path, so its links start at the site root
            continue
        for target in re.findall(r'(?:href|src)="([^"]+)"', text):
            parsed = urllib.parse.urlparse(html.unescape(target))
            if parsed.scheme or target.startswith(("mailto:", "//")):
                continue
            path = (pathlib.PurePosixPath(name).parent / urllib.parse.unquote(parsed.path)).as_posix() \
                if parsed.path else name
            resolved = os.path.normpath(path)
            if not (site / resolved).exists():
                broken.append(f"{name}: {target}")
            elif parsed.fragment and resolved.endswith(".html") and parsed.fragment not in ids.get(resolved, ()):
                broken.append(f"{name}: {target} (no such anchor)")
    assert broken == []


def test_nothing_is_fetched_from_elsewhere(site):
    for name, text in _pages(site).items():
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', text), name


def test_math_is_rendered_and_no_latex_is_left(site):
    pages = _pages(site)
    assert pages["math.html"].count("<math") > 30
    for name, text in pages.items():
        prose = _reader_text(text)
        leftovers = [token for token in ("\\(", "\\[", "$$", "arithmatex") if token in prose]
        leftovers += re.findall(r"\\(?:frac|sum|lambda|mu|sigma|eta|beta|gamma|epsilon|partial|sqrt|hat|bar|left|"
                                r"right|operatorname|mathbb|cdot|odot|leftarrow|lvert|tanh|log|max|min)\b", prose)
        assert leftovers == [], f"{name}: {leftovers}"


def test_no_raw_docstring_markup_on_the_api_pages(site):
    for name, text in _pages(site).items():
        if name.startswith("api/"):
            assert "``" not in html.unescape(re.sub(r"<[^>]+>", "", text)), f"{name}: reStructuredText literals"
            prose = _reader_text(text)
            raw = [token for token in ("-----", "``", ":param", ">>>", ":class:") if token in prose]
            raw += re.findall(r"^\s*\.\. \w+::", prose, flags=re.M)  # reStructuredText directives
            raw += re.findall(r"\S::(?=\s)", prose)  # a reStructuredText literal block's marker
            # the docstring of a built-in type shown for an attribute (what runtime inspection does)
            raw += [text for text in ("Built-in immutable sequence", "str(object=", "int([x])") if text in prose]
            assert raw == [], f"{name}: {raw}"


def _public(module):
    names = getattr(module, "__all__", None) or [name for name in vars(module) if not name.startswith("_")]
    for name in names:
        obj = getattr(module, name)
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith("minikeras"):
            yield name, obj


@pytest.mark.parametrize("module_name", sorted(API_PAGES))
def test_the_api_reference_lists_every_public_name_with_its_docstring(site, module_name):
    module = importlib.import_module(module_name)
    page = (site / API_PAGES[module_name]).read_text()
    anchors = set(re.findall(r'\bid="([\w.]+)"', page))
    public = dict(_public(module))
    assert public
    missing = [name for name in public if f"{module_name}.{name}" not in anchors
               and f"{public[name].__module__}.{public[name].__qualname__}" not in anchors]
    assert missing == [], f"{API_PAGES[module_name]} does not show {missing}"
    undocumented = [name for name, obj in public.items() if not (obj.__doc__ or "").strip()]
    assert undocumented == [], f"{module_name}: public names without a docstring: {undocumented}"


def test_the_model_page_documents_the_training_api(site):
    page = (site / "api/models.html").read_text()
    for method in ("compile", "fit", "evaluate", "predict", "train_on_batch", "save", "summary", "check_gradients"):
        assert f'id="minikeras.Model.{method}"' in page, method


def test_examples_show_their_generated_output_and_figures(site):
    experiments = (site / "experiments.html").read_text()
    assert "Output" in experiments and 'src="generated/' in experiments
    for figure in re.findall(r'src="(generated/[^"]+\.png)"', experiments):
        assert (site / figure).stat().st_size > 1000
