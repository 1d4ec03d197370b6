"""run_cocotb's reading of cocotb's results file: every way a run can end without its tests passing is a
failure that names its cause (cocotb's runner itself checks nothing outside pytest, and counts a run in which
no test ran as passed)."""

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
    _check_tests_ran(path, "tb_x", None)
    _check_tests_ran(path, "tb_x", "test_a,test_b")


def test_no_results_file_means_the_simulation_stopped_early(tmp_path):
    with pytest.raises(SystemExit, match="ended without a results file"):
        _check_tests_ran(tmp_path / "results.xml", "tb_x", None)


def test_no_test_ran_is_a_failure_not_a_pass(tmp_path):
    with pytest.raises(SystemExit, match="no cocotb test ran from tb_x: the module did not import"):
        _check_tests_ran(results(tmp_path), "tb_x", None)


def test_a_testcase_that_names_nothing_is_named(tmp_path):
    path = results(tmp_path, PASSED.format("test_a"))
    with pytest.raises(SystemExit, match=r"tb_x has no cocotb test named test_c \(it ran: test_a\)"):
        _check_tests_ran(path, "tb_x", "test_a,test_c")


def test_failed_tests_are_named(tmp_path):
    path = results(tmp_path, PASSED.format("test_a"), FAILED.format("test_b"))
    with pytest.raises(SystemExit, match="tb_x: failed 1 of 2: test_b"):
        _check_tests_ran(path, "tb_x", None)
