"""devnp-nic: the io-pkt driver for this project's NIC, split by functional
area as QNX devnp drivers are (see README.md). Importing the package
registers it with io-pkt's driver table, as installing the .so would."""

from iopkt.kern.dll import register_driver

register_driver("devnp-nic.so", "devnp_nic.detect:nic_entry")
register_driver("nic", "devnp_nic.detect:nic_entry")
