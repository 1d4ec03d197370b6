"""The NIC's programming model, defined once (see ``regs.py``).

``__version__`` is the release of the whole project (package metadata,
``nicsim --version``, devnp-nic's ``nicinfo`` description, the generated C
header); it lives here because every other part may import ``nicdef``.
"""

__version__ = "0.2.0"
