"""io-pkt's kernel layer (NetBSD ``kern/``): the io-pkt instance and its stack
context, mbufs, interrupts, callouts, sleeping, devices, shutdown hooks."""
