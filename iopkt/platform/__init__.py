"""The platform interface the io-pkt framework runs on, and its pure-Python
virtual-time implementation. The cocotb binding lives outside ``iopkt/``."""

from .base import Event, HostMemory, IrqLine, Platform, PlatformDevice, RegisterBus, Task

__all__ = ["Event", "HostMemory", "IrqLine", "Platform", "PlatformDevice", "RegisterBus", "Task"]
