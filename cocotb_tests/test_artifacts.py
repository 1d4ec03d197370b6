"""The test-end hook and the failure report, on the simulator under test
(``SIM``): callbacks registered with ``nicsim.artifacts.on_test_end`` run
when a test ends, passed or failed, however it failed (its body, a task it
started, its timeout), with that test's exception, and are cleared after it;
a callback that raises is logged and changes no result; a failed run raises
``CocotbTestFailed`` whose report names the test, the simulator, the seed,
the compared values, the diagnosis a callback wrote, a rerun command and the
artifact folder. The cocotb side is ``nicsim/tests/hook_probe.py``."""

import os
import re
from xml.etree import ElementTree

import pytest

from nicsim.runner import CocotbTestFailed, _rel, artifact_dir, run_cocotb

PROBE = "nicsim.tests.hook_probe"


def test_callbacks_run_at_every_kind_of_test_end(monkeypatch):
    monkeypatch.setenv("COCOTB_RANDOM_SEED", "4242")
    with pytest.raises(CocotbTestFailed) as failed:
        run_cocotb(PROBE, "nic")
    folder = artifact_dir(os.environ.get("SIM", "icarus"), PROBE, None, {})
    assert failed.value.artifacts == folder and failed.value.seed == 4242
    cases = {c.get("name"): c for c in ElementTree.parse(folder / "results.xml").getroot().iter("testcase")}
    outcome = {name: "failed" if c.find("failure") is not None or c.find("error") is not None else "passed"
               for name, c in cases.items()}
    assert outcome == {"probe_passes": "passed", "probe_callbacks_cleared": "passed",
                       "probe_assert_fails": "failed", "probe_task_fails": "failed", "probe_times_out": "failed"}
    assert (folder / "probe_passes.txt").read_text() == "passed"
    assert (folder / "probe_assert_fails.txt").read_text().startswith("AssertionError: assert 3 == 4")
    assert (folder / "probe_task_fails.txt").read_text() == "ValueError: raised by a task"
    assert (folder / "probe_times_out.txt").read_text().startswith("SimTimeoutError")
    log = (folder / "sim.log").read_text()
    assert "test-end callback" in log and "RuntimeError: a broken test-end callback" in log
    assert "Seeding Python random module with 4242" in log


def test_failure_report_names_test_values_seed_diagnosis_rerun_and_artifacts(monkeypatch):
    sim = os.environ.get("SIM", "icarus")
    monkeypatch.setenv("COCOTB_RANDOM_SEED", "977")
    monkeypatch.delenv("NICSIM_COVERAGE", raising=False)  # the folder's list below is a run without coverage files
    nodeid = "nicsim/tests/hook_probe.py::probe_assert_fails"  # any id: the report quotes it
    with pytest.raises(CocotbTestFailed) as failed:
        run_cocotb(PROBE, "nic", testcase="probe_assert_fails", nodeid=nodeid)
    report = str(failed.value)
    folder = artifact_dir(sim, PROBE, "probe_assert_fails", {})
    assert folder.name == f"{PROBE}.probe_assert_fails"
    lines = report.splitlines()
    assert len(lines) < 40, report
    assert lines[0] == f"{PROBE}.probe_assert_fails FAILED on {sim}: AssertionError: assert 3 == 4", report
    assert "COCOTB_RANDOM_SEED=977" in lines[1] and "toplevel nic" in lines[1], report
    assert re.search(r'File "nicsim/tests/hook_probe.py", line \d+, in probe_assert_fails\n\s+assert got == 4',
                     report), report
    assert "testing.py" not in report, report  # the hook's wrapper frame is left out
    assert "probe diagnosis: the driver never unmasked RX_DONE" in report, report
    assert f"  SIM={sim} WAVES=1 COCOTB_RANDOM_SEED=977 .venv/bin/pytest '{nodeid}'" in lines, report
    rel = _rel(folder)  # relative to the repository root when under it
    assert f"artifacts: {rel}/  (diagnosis.txt, probe_assert_fails.txt, results.xml, sim.log)" in lines, report


def test_a_leftover_test_filter_is_refused(monkeypatch):
    monkeypatch.setenv("COCOTB_TEST_FILTER", "probe_passes")
    with pytest.raises(ValueError, match=r"COCOTB_TEST_FILTER='probe_passes' is set in the environment.*Unset it"):
        run_cocotb(PROBE, "nic", testcase="probe_assert_fails")
