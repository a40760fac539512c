"""The command line: every failure is one line on stderr and a non-zero exit; --debug shows the traceback."""
import pytest

import minikeras as mk
from minikeras import cli


def _saved(tmp_path):
    model = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.h5")
    return tmp_path / "m.h5"


def _one_line_error(capsys, code, expected_code=2):
    assert code == expected_code
    err = capsys.readouterr().err
    assert err.startswith("minikeras: error: ") and err.count("\n") == 1 and "Traceback" not in err
    return err


@pytest.mark.parametrize("target", ["folder", "missing/m.onnx", "m.txt"])
def test_a_bad_target_is_one_line(tmp_path, capsys, target):
    source = _saved(tmp_path)
    (tmp_path / "folder").mkdir()
    _one_line_error(capsys, cli.main(["convert", str(source), str(tmp_path / target)]))


def test_an_unexpected_failure_is_one_line_and_debug_shows_it(tmp_path, capsys, monkeypatch):
    def broken(path):
        raise KeyError("weights/\x1b[31m")  # a library error the handlers do not name, with a control character

    monkeypatch.setattr(cli, "inspect_model", broken)
    err = _one_line_error(capsys, cli.main(["inspect", "x.h5"]))
    assert "KeyError" in err and "\x1b" not in err and "--debug" in err
    with pytest.raises(KeyError):
        cli.main(["--debug", "inspect", "x.h5"])


def test_a_huge_message_is_cut(capsys, monkeypatch):
    monkeypatch.setattr(cli, "inspect_model", lambda path: (_ for _ in ()).throw(ValueError("x" * 3_000_000)))
    err = _one_line_error(capsys, cli.main(["inspect", "x.h5"]))
    assert len(err) < 600


def test_inspect_and_convert_take_a_functional_model(tmp_path, capsys):
    left, right = mk.Input(shape=(3,), name="left"), mk.Input(shape=(2,), name="right")
    joined = mk.layers.concatenate([left, right])
    model = mk.Model([left, right], [mk.layers.Dense(2, name="a")(joined), mk.layers.Dense(1, name="b")(joined)])
    model.compile(optimizer="adam", loss=["mse", "mae"])
    model.save(tmp_path / "graph.h5")
    assert cli.main(["inspect", str(tmp_path / "graph.h5")]) == 0
    shown = capsys.readouterr().out
    assert "Connected to" in shown and "left[0][0], right[0][0]" in shown
    assert "Loss: [MeanSquaredError(" in shown and "MeanAbsoluteError(" in shown
    for target in ("graph.keras", "graph.onnx", "copy.h5"):
        assert cli.main(["convert", str(tmp_path / "graph.h5"), str(tmp_path / target)]) == 0
    assert mk.load_model(tmp_path / "graph.keras").output_names == ["a", "b"]
