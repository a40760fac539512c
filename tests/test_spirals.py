"""End-to-end: the spirals example (three interleaved spirals, which no linear model can separate)."""
import os

from examples.spirals import main


def test_three_spirals_reach_95_percent_validation_accuracy(tmp_path, capsys):
    history = main(["--out", str(tmp_path)])
    assert history.history["val_accuracy"][-1] >= 0.95, history.history["val_accuracy"][-5:]
    assert os.path.exists(tmp_path / "spirals.h5")
    assert "reloaded model predicts identically: True" in capsys.readouterr().out
