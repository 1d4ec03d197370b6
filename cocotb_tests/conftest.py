"""pytest setup for the RTL tests: this folder goes on ``sys.path``, which
cocotb hands to the simulator, so it can import the ``tb_*`` cocotb modules
by name."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
