"""Trust at the edges of the hub: who may publish (partners, keys, tokens), and whether a
signed message is authentic."""
