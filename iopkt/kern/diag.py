"""Errors io-pkt's model raises when a driver breaks a rule of the framework.

On QNX these mistakes show up as a hang, a storm or a crash much later; here
they are reported at the point of the mistake, naming the culprit.
"""


class DriverBug(RuntimeError):
    """A driver broke an io-pkt rule (lock not released, wrong context, ...)."""


class StackContextError(DriverBug):
    """A call that is legal only in stack context was made outside it."""


class InterruptStorm(DriverBug):
    """A level-triggered line stayed asserted and unmasked across many ISR entries."""


class MbufError(DriverBug):
    """A double free, a use after free, or a leak of mbufs or clusters."""
