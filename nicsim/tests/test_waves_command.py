"""``make waves TEST=...`` (nicsim.waves): a pattern must select exactly one
cocotb test; none or several is a usage error naming what it matched, before
anything is built or run."""

from nicsim import waves


def test_no_pattern_is_a_usage_error(capsys):
    assert waves.main([]) == 2
    assert "usage: make waves TEST=" in capsys.readouterr().out


def test_a_pattern_that_selects_nothing_or_several_tests_runs_nothing(capsys):
    assert waves.main(["no_such_test_anywhere"]) == 2
    assert "selects 0 cocotb tests" in capsys.readouterr().out
    assert waves.main(["test_soft_reset or test_byte_strobes"]) == 2
    out = capsys.readouterr().out
    assert "it must select exactly one" in out and "cocotb_tests/tb_regs.py::test_soft_reset" in out


def test_an_unknown_simulator_or_a_bad_pattern_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.setenv("SIM", "foo")
    assert waves.main(["test_soft_reset"]) == 2
    assert "SIM=foo: use icarus or verilator" in capsys.readouterr().out
    monkeypatch.setenv("SIM", "icarus")
    assert waves.main(["a b c"]) == 2
    assert "is not a test name or pytest -k pattern" in capsys.readouterr().out
    # plain pytest tests beside the cocotb modules are not cocotb tests
    assert waves.main(["test_a_leftover_test_filter_is_refused"]) == 2
    assert "selects 0 cocotb tests" in capsys.readouterr().out
