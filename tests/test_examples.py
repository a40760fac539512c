"""The README's main job and the small examples run end to end."""
import os

from examples import mnist_quickstart, spirals


def test_mnist_quickstart_trains_saves_reloads_and_plots(tmp_path, capsys):
    test = mnist_quickstart.main(["--out", str(tmp_path)])
    assert test["accuracy"] > 0.93
    out = capsys.readouterr().out
    assert "reloaded model predicts identically: True" in out
    assert os.path.getsize(tmp_path / "learning_curves.png") > 10_000
    assert os.path.exists(tmp_path / "mnist_mlp.h5")


def test_three_spirals_reach_95_percent_validation_accuracy(tmp_path, capsys):
    history = spirals.main(["--out", str(tmp_path)])
    assert history.history["val_accuracy"][-1] >= 0.95, history.history["val_accuracy"][-5:]
    assert "reloaded model predicts identically: True" in capsys.readouterr().out
