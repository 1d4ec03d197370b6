"""The NIC's programming model, defined once (see ``regs.py``)."""
