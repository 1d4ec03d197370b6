"""Short soaks for the regression (nicsim.soak): seeded random traffic both
ways, wire errors and faults at random simulated times, every frame checked
by the scoreboard and every host's accounting line exact. Each runs a fixed
number of frames, so a seed gives the same run on every machine; Icarus,
about twenty times slower, runs fewer."""

from __future__ import annotations

import cocotb

from nicsim import testing
from nicsim.soak import SoakConfig, run_soak, summary

TOPLEVEL = "nic_pair_tb"  # the HDL toplevel these tests run on (read by nicsim.collect)


def _frames(verilator: int, icarus: int) -> int:
    return verilator if cocotb.SIM_NAME.lower().startswith("verilator") else icarus


async def _soak(dut, seed: int, frames: int) -> None:
    cfg = SoakConfig(seed=seed, frames=frames, progress_s=0)
    res = await run_soak(dut, cfg)
    dut._log.info("%s", summary(cfg, res))
    assert sum(res.offered.values()) >= frames
    assert res.faults, "the scheduler fired no fault"


@testing.test()
async def test_soak_seed_1(dut):
    """Seed 1: random traffic, wire errors and faults; every accounting line exact, both interfaces recover."""
    await _soak(dut, 1, _frames(1500, 150))
