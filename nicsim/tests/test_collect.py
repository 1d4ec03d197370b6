"""One pytest item per cocotb test (nicsim.collect), as pytest itself
collects cocotb_tests/: ``-k`` picks a single cocotb test by name; each test
of a module with several ``PARAMETERS`` sets is an item per set; a test marked
``also_at`` beside its definition (found here in the source, with ``ast``)
has its extra item, and no other test has one; ids are unique."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "cocotb_tests"


def collect(*args: str) -> list[str]:
    res = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "cocotb_tests", *args],
                         cwd=ROOT, env={**os.environ, "SIM": "icarus"}, capture_output=True, text=True,
                         check=False, timeout=120)
    assert res.returncode in (0, 5), res.stdout + res.stderr
    return [line for line in res.stdout.splitlines() if "::" in line]


def also_at_tests(path: Path) -> list[str]:
    """Names of the functions whose decorator passes ``also_at=``."""
    tree = ast.parse(path.read_text())
    names = []
    for node in tree.body:
        if isinstance(node, ast.AsyncFunctionDef):
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and any(k.arg == "also_at" for k in deco.keywords):
                    names.append(node.name)
    return names


def test_minus_k_selects_one_cocotb_test():
    assert collect("-k", "soft_reset") == ["cocotb_tests/tb_regs.py::test_soft_reset"]


def test_items_per_test_and_parameter_set():
    ids = collect()
    assert len(ids) == len(set(ids))
    modules = sorted(p.name for p in TESTS.glob("tb_*.py"))
    assert sorted({i.split("::")[0].split("/")[-1] for i in ids if "/tb_" in i}) == modules
    wide = sorted(i.split("::")[1].removesuffix("[DATA_WIDTH=512]") for i in ids
                  if i.startswith("cocotb_tests/tb_features.py::") and i.endswith("[DATA_WIDTH=512]"))
    assert wide == sorted(also_at_tests(TESTS / "tb_features.py")) and len(wide) == 7
    dma = [i.split("::")[1] for i in ids if i.startswith("cocotb_tests/tb_dma.py::")]
    plain = [d for d in dma if "[" not in d]
    assert sorted(dma) == sorted(plain + [f"{d}[DATA_WIDTH={w}]" for d in plain for w in (128, 512)])
    assert len(plain) == sum(1 for line in (TESTS / "tb_dma.py").read_text().splitlines()
                             if line.startswith("@testing.test("))


def test_an_items_printed_name_is_a_k_expression():
    """pytest's -k takes no brackets or '=': an item's name as pytest prints it (or its whole id) becomes
    the words of its name and parameters; any other pattern is left as it is."""
    from nicsim.collect import k_expression

    assert k_expression("test_jumbo_multi_buffer_rx[DATA_WIDTH=512]") == \
        "test_jumbo_multi_buffer_rx and DATA_WIDTH and 512"
    assert k_expression("cocotb_tests/tb_dma.py::test_tx_rx_ring_wrap[DATA_WIDTH=128]") == \
        "test_tx_rx_ring_wrap and DATA_WIDTH and 128"
    assert k_expression("soft_reset or byte_strobes") == "soft_reset or byte_strobes"


def test_a_pattern_pytest_k_refuses_is_said_before_anything_runs():
    """make sim/coverage TESTS=...: a pattern -k cannot parse is one error line and exit 2 (under xdist pytest
    would crash on it in every worker); patterns -k takes, an item's printed name among them, pass."""
    import subprocess
    import sys

    from nicsim.collect import k_error

    assert k_error("tb_coverage and not it's") is not None
    assert k_error("soft_reset or (byte_strobes and not ring)") is None
    run = [sys.executable, "-m", "nicsim.collect", "--check"]
    bad = subprocess.run([*run, "tb_coverage and not it's"], capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stdout) == (2, "")
    assert bad.stderr.startswith("error: TESTS=\"tb_coverage and not it's\" is not a pytest -k expression: ")
    good = subprocess.run([*run, "test_x[DATA_WIDTH=512]"], capture_output=True, text=True, check=False)
    assert (good.returncode, good.stdout, good.stderr) == (0, "", "")
