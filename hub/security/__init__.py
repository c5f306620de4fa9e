"""Trust at the edges of the hub: who may publish, and whether a signed message is authentic."""
