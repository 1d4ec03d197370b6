"""Sample io-pkt drivers that run on the virtual platform."""
