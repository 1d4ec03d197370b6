"""cocotb tests that end badly on the TAP bridge (``nic_pair_tb`` with ``TAP_BRIDGE=1``), each with a
Linux ``ping`` still running in the bridge's namespace: run by ``cocotb_tests/test_tap_cleanup.py``,
never collected as RTL tests (no ``TOPLEVEL``, and not a ``tb_*`` file). Each writes the namespace's
name and the ping's pid into the artifact folder (``tap.txt``), where the pytest side looks for what
is left."""

from __future__ import annotations

import os
import signal

from nicsim import artifacts, testing
from nicsim.tap import HOST_ADDR, run_for_wall, tap_session


async def _linux_pinging(dut, ns, hosts) -> None:
    ping = ns.popen(["ping", "-n", "-i", "0.2", HOST_ADDR])
    (artifacts.folder() / "tap.txt").write_text(f"{ns.name} {ping.pid}\n")
    await run_for_wall(1.0)


@testing.test()
async def probe_fails_with_linux_running(dut):
    """Fails in the middle of a Linux ping: the session's clean-up runs as the exception leaves it."""
    async with tap_session(dut) as (ns, hosts):
        await _linux_pinging(dut, ns, hosts)
        raise AssertionError("deliberately failed with the bridge up")


@testing.test()
async def probe_killed_with_linux_running(dut):
    """The simulator dies (SIGKILL) in the middle of a Linux ping: no clean-up of its own can run."""
    async with tap_session(dut) as (ns, hosts):
        await _linux_pinging(dut, ns, hosts)
        os.kill(os.getpid(), signal.SIGKILL)
