"""pytest entry for tb_regs: the register file and interrupt controller."""

from nicsim.runner import run_cocotb


def test_regs():
    run_cocotb("tb_regs", "nic")
