from bench import timing


def test_alternate_reverses_every_other_turn_when_asked():
    calls = []
    contenders = {name: (lambda name=name: calls.append(name) or 0.0) for name in "ab"}
    timing.alternate(contenders, 3, both_orders=True)
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b"]  # warm-up, then turns in both orders
    calls.clear()
    timing.alternate(contenders, 2)
    assert calls == ["a", "b", "a", "b", "a", "b"]
