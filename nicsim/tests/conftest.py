"""Fixtures the nicsim tests share."""

import ctypes

import pytest

from nicsim import host_mem, runner


@pytest.fixture(scope="module")
def c(tmp_path_factory):
    """The host memory's C library (rtl/tb/host_mem_axi.c), built here and loaded once per test module
    into this process (its state is global, as in a simulation), with the argument types of the calls the
    simulator makes (hm_burst, hm_read, hm_write) set for ctypes."""
    path = runner.build_host_mem("verilator", tmp_path_factory.mktemp("host_mem"))
    mp = pytest.MonkeyPatch()
    mp.setenv(host_mem.LIB_ENV, str(path))
    mp.setattr(host_mem, "_lib", None)
    lib = host_mem.lib()
    lib.hm_burst.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                             ctypes.c_int, ctypes.c_longlong, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.hm_read.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_int, ctypes.POINTER(ctypes.c_uint32)]
    lib.hm_write.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_int, ctypes.POINTER(ctypes.c_uint32),
                             ctypes.c_longlong]
    yield lib
    mp.undo()
