"""Where a cocotb test leaves what it saw, and a hook that runs when it ends.

Every run of :func:`nicsim.runner.run_cocotb` gets one folder,
``reports/tests/<sim>/<tb_module>.<test>[<variant>]/``, emptied when the run
starts; the runner names it to the simulation in ``NICSIM_ARTIFACTS`` and
writes ``sim.log`` (the simulator's whole output) and ``results.xml``
(cocotb's xUnit report) there, and with ``WAVES=1`` ``waves.fst`` (``.vcd``
on a Verilator without lz4). Code inside the simulation adds its own files
(a packet capture, an event log, ``diagnosis.txt``) through :func:`folder`
and :func:`on_test_end`; the failure report lists whatever the folder holds
and prints ``diagnosis.txt``.

Tests are declared with :func:`nicsim.testing.test` (cocotb's ``@cocotb.test``
plus this hook); a plain ``@cocotb.test`` still runs, without it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

ENV = "NICSIM_ARTIFACTS"
DIAGNOSIS = "diagnosis.txt"

_log = logging.getLogger("cocotb.nicsim.artifacts")
_callbacks: list[Callable[[BaseException | None], None]] = []


def folder() -> Path | None:
    """This test's artifact folder (``NICSIM_ARTIFACTS``, set by
    :func:`nicsim.runner.run_cocotb`), created if missing, or None when the
    simulation was started some other way (cocotb's own Makefiles)."""
    path = os.environ.get(ENV)
    if not path:
        return None
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    return p


def on_test_end(callback: Callable[[BaseException | None], None]) -> None:
    """Run ``callback(error)`` inside the simulation when the current cocotb
    test ends, passed or failed, before cocotb records its result.

    ``error`` is the exception the test ended with (an assertion, a task's
    exception, ``SimTimeoutError``; for an ``expect_fail`` test the expected
    one), or None when it passed. Callbacks run in the order registered,
    synchronously, at the simulated time the test ended: they may read
    signals and write files, not await. Registered during one test, they are
    cleared when it ends. A callback that raises is logged (with its
    traceback) and the next one still runs; the test's own result stands.
    Only tests declared with :func:`nicsim.testing.test` run them.
    """
    _callbacks.append(callback)


def run_test_end(error: BaseException | None) -> None:
    """Run and clear the callbacks :func:`on_test_end` registered (the
    decorator in :mod:`nicsim.testing` calls this once per test)."""
    pending = list(_callbacks)
    _callbacks.clear()
    for callback in pending:
        try:
            callback(error)
        except Exception:
            _log.exception("test-end callback %s raised (the test's own result is unchanged)",
                           getattr(callback, "__qualname__", callback))
