"""The simulator binding: everything that runs io-pkt, devnp-nic and the RTL
NIC together under cocotb, for the regression, the main jobs and a user's own
benches.

- :mod:`nicsim.host_platform` — the cocotb binding of io-pkt's platform interface
- :mod:`nicsim.host_mem` — the testbench host memory (a C buffer behind an AXI4
  slave) from Python: direct reads and writes, the DMA transaction log
- :mod:`nicsim.two_hosts` — two io-pkt hosts on the two NICs of ``nic_pair_tb``
- :mod:`nicsim.nic_harness` — one NIC driven by hand (registers, rings, GMII)
- :mod:`nicsim.faults`, :mod:`nicsim.udp_flow`, :mod:`nicsim.accounting` —
  fault injection, numbered UDP flows, and the ``sent = delivered + drops`` line
- :mod:`nicsim.runner` — build and run a cocotb module on either simulator
- :mod:`nicsim.testing`, :mod:`nicsim.artifacts`, :mod:`nicsim.collect` — the
  test decorator, each test's artifact folder and test-end hook, one pytest
  item per cocotb test
- :mod:`nicsim.demo`, :mod:`nicsim.bench` (cocotb side: :mod:`nicsim.jobs`),
  :mod:`nicsim.cli` — the ``nicsim`` command
"""

from nicdef import __version__

__all__ = ["__version__"]
