"""The RTL regression's shards (``make sim SPLITS=N GROUP=k``, pytest-split
from the durations in ``.test_durations/``, least-duration algorithm) run
every test exactly once: the groups are disjoint, none is empty, and together
they are the whole collection. Checked by collecting, as pytest itself sees
the tests, for each simulator at 4 shards (the CI workflow's) and at 8. And
the recorded durations name tests that exist: a renamed or removed test
would leave its time behind and the shards would be cut by stale figures
(a test not recorded yet gets the average)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def collect(sim: str, *split_args: str) -> list[str]:
    """Test ids pytest collects from cocotb_tests/ with these arguments."""
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "cocotb_tests",
         *split_args],
        cwd=ROOT, env={**os.environ, "SIM": sim}, capture_output=True, text=True, check=False, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr
    return [line for line in res.stdout.splitlines() if "::" in line]


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_every_test_runs_in_exactly_one_shard(sim):
    durations = ROOT / ".test_durations" / f"{sim}.json"
    assert durations.exists(), f"record them: make durations SIM={sim}"
    everything = collect(sim)
    assert len(everything) == len(set(everything)) > 0
    stale = sorted(set(json.loads(durations.read_text())) - set(everything))
    assert not stale, f"{durations.name} names tests that do not exist (make durations SIM={sim}): {stale}"
    for splits in (4, 8):
        args = [("--splits", str(splits), "--group", str(k), "--durations-path", str(durations),
                 "--splitting-algorithm", "least_duration")
                for k in range(1, splits + 1)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            groups = list(pool.map(lambda a: collect(sim, *a), args))
        seen: dict[str, int] = {}
        for k, group in enumerate(groups, 1):
            assert group, f"{splits} shards: group {k} is empty"
            for test in group:
                assert test not in seen, f"{splits} shards: {test} is in groups {seen[test]} and {k}"
                seen[test] = k
        missing = sorted(set(everything) - set(seen))
        assert not missing, f"{splits} shards: never run: {missing}"
        assert set(seen) == set(everything)
