"""cocotb tests that exercise the test-end hook and the failure report from
inside a simulation (toplevel ``nic``, no clock needed): run by
``cocotb_tests/test_artifacts.py``, never collected as RTL tests (no
``TOPLEVEL``, and not a ``tb_*`` file). Each callback writes what it was
given into the artifact folder, where the pytest side reads it."""

from __future__ import annotations

import cocotb
from cocotb.triggers import Timer

from nicsim import artifacts, testing


def _record(filename: str):
    def write(error: BaseException | None) -> None:
        (artifacts.folder() / filename).write_text(f"{type(error).__name__}: {error}" if error else "passed")
    return write


def _boom(error: BaseException | None) -> None:
    raise RuntimeError("a broken test-end callback")


@testing.test()
async def probe_passes(dut):
    """Passes; one callback raises (logged), the one after it still runs."""
    artifacts.on_test_end(_boom)
    artifacts.on_test_end(_record("probe_passes.txt"))
    await Timer(10, "ns")


@testing.test()
async def probe_callbacks_cleared(dut):
    """The callbacks of the test before are gone."""
    assert not artifacts._callbacks
    await Timer(10, "ns")


@testing.test()
async def probe_assert_fails(dut):
    """Fails on an assertion whose values the report shows; writes a diagnosis."""
    artifacts.on_test_end(_record("probe_assert_fails.txt"))
    artifacts.on_test_end(lambda error: (artifacts.folder() / artifacts.DIAGNOSIS).write_text(
        "probe diagnosis: the driver never unmasked RX_DONE\n"))
    await Timer(10, "ns")
    got = 3
    assert got == 4


@testing.test()
async def probe_task_fails(dut):
    """Fails in a task it started, while its own body still waits."""
    artifacts.on_test_end(_record("probe_task_fails.txt"))

    async def checker():
        await Timer(10, "ns")
        raise ValueError("raised by a task")

    cocotb.start_soon(checker())
    await Timer(1, "us")


@testing.test(timeout_time=50, timeout_unit="ns")
async def probe_times_out(dut):
    """Fails by its timeout."""
    artifacts.on_test_end(_record("probe_times_out.txt"))
    await Timer(1, "us")
