from bench.handwritten import STAGES
from bench.investigations.stages import main


def test_the_stage_ladder_prints(capsys):
    fastest = main(["--repeats", "1", "--samples", "400", "--batch-size", "100"])
    assert set(fastest) == {*STAGES, "minikeras"}
    assert "| update |" in capsys.readouterr().out
