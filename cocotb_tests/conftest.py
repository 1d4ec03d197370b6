"""pytest setup for the RTL tests: one pytest item per cocotb test of each
``tb_*`` module (:mod:`nicsim.collect`), e.g.
``cocotb_tests/tb_regs.py::test_soft_reset`` or
``cocotb_tests/tb_features.py::test_jumbo_multi_buffer_rx[DATA_WIDTH=512]``.
This folder goes on ``sys.path``, which cocotb hands to the simulator, so it
can import the ``tb_*`` modules by name."""

import sys
from pathlib import Path

from nicsim.collect import pytest_collect_file  # noqa: F401  (the hook)

sys.path.insert(0, str(Path(__file__).resolve().parent))
