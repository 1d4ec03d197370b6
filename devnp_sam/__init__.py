"""devnp-sam: the driver guide's hardware-independent sample driver, in Python.

Importing the package registers it with io-pkt's driver table, as
installing ``/lib/dll/devnp-sam.so`` would.
"""

from iopkt.kern.dll import register_driver

register_driver("devnp-sam.so", "devnp_sam.sam:sam_entry")
register_driver("sam", "devnp_sam.sam:sam_entry")
