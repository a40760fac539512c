"""The seed-experiment scripts run end to end on small files in the official formats.

The real runs (full data sets, minutes each) are documented in docs/results.md; here every script
goes through the same code on tiny data, so none of them can rot.
"""
import json

import pytest

from examples import best_mlps, cifar_2layer, cifar_init, cifar_kdeep, mnist_tricks
from tests.datasets.conftest import cifar_files, write_cifar_archive, write_mnist


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seed_data")
    write_mnist(folder / "mnist", n_train=100, n_test=20)
    write_cifar_archive(folder / "cifar-10-python.tar.gz", cifar_files(n=200))
    return folder


def _small_settings(monkeypatch):
    """The published settings in fewer updates (the scripts' constants are the only change)."""
    monkeypatch.setattr(cifar_2layer, "CASES", {name: (layout, 9, cycles)
                                                for name, (layout, _, cycles) in cifar_2layer.CASES.items()})
    monkeypatch.setattr(mnist_tricks, "EPOCHS", 2)
    monkeypatch.setattr(best_mlps, "MNIST_EPOCHS", 2)
    monkeypatch.setattr(best_mlps, "CIFAR_EPOCHS", 2)


@pytest.mark.parametrize("script, extra, runs", [
    (cifar_kdeep, [], 4),
    (cifar_init, ["--step-size", "9"], 6),
    (mnist_tricks, [], 12),
    (best_mlps, [], 2),
    (cifar_2layer, [], 3),
], ids=["cifar_kdeep", "cifar_init", "mnist_tricks", "best_mlps", "cifar_2layer"])
def test_script_writes_results_and_plots(script, extra, runs, data_folder, tmp_path, capsys, monkeypatch):
    _small_settings(monkeypatch)
    data = str(data_folder / "mnist") if script is mnist_tricks else str(data_folder)
    results = script.main(["--data", data, "--out", str(tmp_path), *extra])
    saved = json.loads((tmp_path / "results.json").read_text())
    assert len(saved["runs"]) == len(results) == runs
    for run in saved["runs"]:
        assert 0.0 <= run["test_accuracy"] <= 1.0 and run["history"]["loss"]
    assert len(list(tmp_path.glob("*_curves.png"))) == runs
    assert len(list(tmp_path.glob("*_confusion.png"))) == runs
    assert "published test" in capsys.readouterr().out
