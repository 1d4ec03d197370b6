"""io-pkt's interface layer (NetBSD ``net/``): ifnet, send queues, Ethernet."""
