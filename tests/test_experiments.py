"""Declarative TOML experiments: checking, running end to end, searching, and the CLI."""
import json
import pathlib

import pytest

from minikeras import experiments
from minikeras.cli import main
from tests.datasets.conftest import write_mnist

ROOT = pathlib.Path(__file__).resolve().parent.parent
SMALL = """
name = "tiny"
seed = 1
[data]
dataset = "mnist"
validation = 0.2
standardize = "scale"
[model]
hidden = [16]
activation = "tanh"
l2 = 0.001
[compile]
optimizer = "sgd"
momentum = 0.9
[compile.schedule]
name = "cyclic"
eta_min = 0.001
eta_max = 0.1
step_size_epochs = 1
[fit]
batch_size = 20
cycles = 1
[search]
metric = "val_accuracy"
trials = 3
refine_trials = 2
top = 2
[search.space]
"model.l2" = { log_uniform = [1e-5, 1e-1] }
"""


@pytest.fixture
def small_mnist(tmp_path, monkeypatch):
    write_mnist(tmp_path / "data" / "mnist", n_train=100, n_test=20)
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path / "data"))
    experiments._DATA_CACHE.clear()
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL)
    return path


def test_run_end_to_end(small_mnist, tmp_path, capsys):
    assert main(["run", str(small_mnist), "--out", str(tmp_path / "out"), "--verbose", "0"]) == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text())
    assert result["history"]["lr"] and len(result["history"]["loss"]) == 2  # 1 cycle of 2 x 1 epoch
    assert set(result) >= {"train_accuracy", "val_accuracy", "test_accuracy"}
    for name in ("model.h5", "curves.png", "confusion.png"):
        assert (tmp_path / "out" / name).stat().st_size > 1000
    assert "test_accuracy" in capsys.readouterr().out


def test_search_end_to_end(small_mnist, tmp_path):
    assert main(["search", str(small_mnist), "--out", str(tmp_path / "s")]) == 0
    best = json.loads((tmp_path / "s" / "best.json").read_text())
    assert best["status"] == "ok" and "model.l2" in best["params"]
    assert len((tmp_path / "s" / "search.coarse.jsonl").read_text().splitlines()) == 3
    assert len((tmp_path / "s" / "search.fine.jsonl").read_text().splitlines()) == 2
    assert (tmp_path / "s" / "search_model.l2.png").exists()


def test_with_params_sets_dotted_keys():
    config = experiments.check_experiment({"model": {"l2": 0.1}, "compile": {"schedule": {"name": "cyclic",
                                           "eta_min": 1e-5, "eta_max": 0.1, "step_size": 10}},
                                           "search": {"space": {"compile.schedule.eta_max": [0.1, 0.2]}}})
    changed = experiments.with_params(config, {"model.l2": 0.5, "fit.batch_size": 7, "seed": 3,
                                               "compile.schedule.eta_max": 0.2})
    assert (changed["model"]["l2"], changed["fit"]["batch_size"], changed["seed"]) == (0.5, 7, 3)
    assert changed["compile"]["schedule"]["eta_max"] == 0.2
    assert config["model"]["l2"] == 0.1


@pytest.mark.parametrize("text, message", [
    ("name = \"x\"\n[model]\nhiden = [5]\n", "unknown key 'model.hiden'"),
    ("[fit]\nepochs = \"ten\"\n", "fit.epochs must be int"),
    ("[data]\ndataset = \"imagenet\"\n", "data.dataset must be one of"),
    ("[data]\nsplit = \"one_batch\"\n", "data.split must be 'all', or 'one_batch' for cifar10"),
    ("[search.space]\n\"model.width\" = [1, 2]\n", "search.space key 'model.width' names no setting"),
    ("[model\nhidden = [5]\n", r"invalid TOML: .*line 1"),
    ("[training]\nepochs = 3\n", "unknown key 'training'"),
    # The values a search can give pass the same checks as the settings themselves:
    ("[search.space]\n\"model.hidden\" = [[50], [2000000]]\n", r"search.space model.hidden = \[2000000\]:"
                                                               r" model.hidden must list at most"),
    ("[search.space]\n\"fit.epochs\" = {int_uniform = [1, 10000000]}\n", r"fit.epochs must be an integer in"),
    ("[search.space]\n\"fit.batch_size\" = [\"big\"]\n", r"search.space fit.batch_size can give 'big'"),
    ("[search.space]\n\"model.l2\" = {log_uniform = [-1, 1]}\n", r"search.space model.l2: LogUniform needs 0 < low"),
])
def test_malformed_files_name_the_line_or_key(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(experiments.ExperimentError, match=message) as error:
        experiments.load_experiment(path)
    assert "bad.toml" in str(error.value)
    assert main(["run", str(path)]) == 2


@pytest.mark.parametrize("path", sorted((ROOT / "examples" / "experiments").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_experiment_files_are_valid(path):
    config = experiments.load_experiment(path)
    assert config["name"]


@pytest.mark.parametrize("name", ["../../../escaped", "/tmp/absolute", "a/b", "..", "", ".hidden"])
def test_a_name_cannot_place_the_run_outside_runs(name):
    with pytest.raises(experiments.ExperimentError, match=r"name must be a plain folder name.*--out"):
        experiments.check_experiment({"name": name})


def test_an_earlier_run_is_not_overwritten_without_asking(small_mnist, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    results = tmp_path / "runs" / "tiny" / "results.json"
    results.parent.mkdir(parents=True)
    results.write_text('{"earlier": true}')
    assert main(["run", str(small_mnist), "--verbose", "0"]) == 2
    assert "--overwrite" in capsys.readouterr().err and results.read_text() == '{"earlier": true}'
    assert main(["run", str(small_mnist), "--verbose", "0", "--overwrite"]) == 0
    assert "test_accuracy" in json.loads(results.read_text())


@pytest.mark.parametrize("raw, message", [
    ({"fit": {"batch_size": 0}}, r"fit.batch_size must be an integer in \[1, 1000000\]; got 0"),
    ({"model": {"hidden": [10**12]}}, r"model.hidden must list at most 64 layer widths"),
    ({"compile": {"learning_rate": float("inf")}}, r"compile.learning_rate must be a number in \[0.0, 1000000.0\]"),
    ({"compile": {"learning_rate": float("nan")}}, r"compile.learning_rate must be a number"),
    ({"data": {"validation": 1.0}}, r"data.validation must be a number in \[0.0, 1.0\); got 1.0"),
    ({"fit": {"epochs": 1e400}}, r"fit.epochs must be an integer in \[0, 100000\]; got inf"),
    ({"search": {"trials": -5}}, r"search.trials must be an integer in \[1, 100000\]"),
])
def test_values_are_range_checked_with_the_key_named(raw, message):
    with pytest.raises(experiments.ExperimentError, match=message):
        experiments.check_experiment(raw)


def test_deeply_nested_arrays_are_an_experiment_error(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(experiments.ExperimentError, match="nested too deeply|invalid TOML"):
        experiments.load_experiment(path)
