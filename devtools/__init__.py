"""Developer tooling for alerthub (local infrastructure for tests and `make` targets)."""
