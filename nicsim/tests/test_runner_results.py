"""run_cocotb's reading of cocotb's results file: every way a run can end without its tests passing is a
failure that names its cause (cocotb's runner itself checks nothing outside pytest, and counts a run in which
no test ran as passed)."""

import re
from pathlib import Path

import pytest

from nicsim.runner import _check_tests_ran

# the JUnit layout cocotb 2.1 writes (cocotb/_xunit_reporter.py)
PASSED = '<testcase classname="tb_x" name="{}" file="tb_x.py" lineno="1" time="0.1" sim_time_ns="8"/>'
FAILED = ('<testcase classname="tb_x" name="{}" file="tb_x.py" lineno="1" time="0.1" sim_time_ns="8">'
          '<failure message="assert 1 == 2"/></testcase>')


def results(tmp_path: Path, *cases: str) -> Path:
    path = tmp_path / "results.xml"
    path.write_text(f'<testsuites name="results"><testsuite name="all" package="all">{"".join(cases)}'
                    "</testsuite></testsuites>")
    return path


def test_all_passed_and_each_named_test_ran(tmp_path):
    path = results(tmp_path, PASSED.format("test_a"), PASSED.format("test_b"))
    assert _check_tests_ran(path, "tb_x", None) is None
    assert _check_tests_ran(path, "tb_x", "test_a,test_b") is None


def test_no_results_file_means_the_simulation_stopped_early(tmp_path):
    assert re.search("ended without a results file", _check_tests_ran(tmp_path / "results.xml", "tb_x", None))


def test_no_test_ran_is_a_failure_not_a_pass(tmp_path):
    cause = _check_tests_ran(results(tmp_path), "tb_x", None)
    assert re.search("no cocotb test ran from tb_x: the module did not import", cause)


def test_a_testcase_that_names_nothing_is_named(tmp_path):
    path = results(tmp_path, PASSED.format("test_a"))
    cause = _check_tests_ran(path, "tb_x", "test_a,test_c")
    assert re.search(r"tb_x has no cocotb test named test_c \(it ran: test_a\)", cause)


def test_failed_tests_are_named(tmp_path):
    path = results(tmp_path, PASSED.format("test_a"), FAILED.format("test_b"))
    assert re.search("tb_x: failed 1 of 2: test_b", _check_tests_ran(path, "tb_x", None))


def test_a_leftover_test_selection_in_the_environment_is_refused(monkeypatch):
    # refused before anything is built: cocotb would run the tests it selects under this run's name
    from nicsim.runner import run_cocotb

    for var in ("COCOTB_TEST_FILTER", "COCOTB_TESTCASE"):
        monkeypatch.delenv("COCOTB_TEST_FILTER", raising=False)
        monkeypatch.delenv("COCOTB_TESTCASE", raising=False)
        monkeypatch.setenv(var, "test_other")
        try:
            run_cocotb("tb_regs", "nic", testcase="test_soft_reset")
        except ValueError as e:
            assert f"{var}='test_other' is set in the environment" in str(e) and "test_soft_reset" in str(e)
        else:
            raise AssertionError(f"{var} was not refused")


def test_the_seed_a_caller_passes_is_the_seed_the_report_names(monkeypatch):
    """A job that sets COCOTB_RANDOM_SEED in its extra_env (the soak: its SEED) runs with that seed, and the
    failure report names it, not one drawn for the run; the environment's is next, then a new one."""
    from nicsim import runner

    monkeypatch.setenv("COCOTB_RANDOM_SEED", "11")
    assert runner._seed({"COCOTB_RANDOM_SEED": "7"}) == 7
    assert runner._seed({}) == runner._seed(None) == 11
    monkeypatch.delenv("COCOTB_RANDOM_SEED")
    assert 0 <= runner._seed({"SOAK_SEED": "3"}) < 1 << 31
    with pytest.raises(ValueError, match="COCOTB_RANDOM_SEED='x' is not an integer"):
        runner._seed({"COCOTB_RANDOM_SEED": "x"})
