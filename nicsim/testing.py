"""``@testing.test()``: cocotb's ``@cocotb.test`` with nicsim's test-end hook,
and the parameter sets a test also runs at.

Every ``tb_*`` module of the regression declares its tests with it::

    from nicsim import testing

    TOPLEVEL = "nic"                      # the HDL toplevel the module runs on

    @testing.test()
    async def test_soft_reset(dut): ...

    @testing.test(also_at={"DATA_WIDTH": 512})   # one more pytest item, at 512 bits
    async def test_jumbo_multi_buffer_rx(dut): ...

It takes cocotb's keyword arguments (``timeout_time``, ``expect_fail``,
``name``, ...) unchanged, and wraps the test's coroutine function so that the
callbacks of :func:`nicsim.artifacts.on_test_end` run when the test ends. The
pytest collector (:mod:`nicsim.collect`) reads ``also_at`` beside each test
and ``TOPLEVEL``/``PARAMETERS`` at module level.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import cocotb
import cocotb._test_manager
from cocotb._decorators import TestGenerator

from nicsim import artifacts

# attribute of the TestGenerator that holds the extra parameter sets
ALSO_AT = "nicsim_also_at"


def _with_test_end(func):
    """``func`` (a cocotb test's coroutine function), wrapped so that the
    test-end callbacks run once, with the exception the test ended with.

    The hook sits in cocotb's TestManager (``_current_test``, set before the
    test's first step): its completion callback runs after every task of the
    test has ended and before the regression scores the result, and it knows
    the test's exception wherever it came from (the test body, a task it
    started, the timeout). Those are cocotb 2.1 internals; without them the
    callbacks still run, from the body's own exception (a failing task or a
    timeout then shows as a cancellation)."""

    @functools.wraps(func)
    async def run(dut, *args: Any, **kwargs: Any):
        manager = getattr(cocotb._test_manager, "_current_test", None)
        done = getattr(manager, "_test_complete_cb", None)
        if manager is not None and callable(done) and callable(getattr(manager, "exception", None)):
            def complete() -> None:
                artifacts.run_test_end(manager.exception())
                done()

            manager._test_complete_cb = complete
            return await func(dut, *args, **kwargs)
        try:
            result = await func(dut, *args, **kwargs)
        except BaseException as e:
            artifacts.run_test_end(e)
            raise
        artifacts.run_test_end(None)
        return result

    return run


def test(obj=None, *, also_at: Mapping[str, object] | Sequence[Mapping[str, object]] = (), **cocotb_kwargs):
    """Declare a cocotb test (as ``@cocotb.test``) with the test-end hook.

    obj: the coroutine function (or a ``@cocotb.parametrize`` generator) when
        used bare, ``@testing.test``.
    also_at: one parameter set (``{"DATA_WIDTH": 512}``) or several at which
        the pytest collector adds an item for this test, beside the module's
        own ``PARAMETERS``.
    cocotb_kwargs: passed to ``cocotb.test`` unchanged.

    Returns cocotb's ``TestGenerator``, with ``also_at`` in its
    ``nicsim_also_at`` attribute (a list of dicts).
    """
    sets = [dict(also_at)] if isinstance(also_at, Mapping) else [dict(p) for p in also_at]

    def decorate(f) -> TestGenerator:
        if isinstance(f, TestGenerator):
            f.func = _with_test_end(f.func)
            gen = cocotb.test(**cocotb_kwargs)(f)
        else:
            gen = cocotb.test(**cocotb_kwargs)(_with_test_end(f))
        setattr(gen, ALSO_AT, sets)
        return gen

    return decorate(obj) if obj is not None else decorate
