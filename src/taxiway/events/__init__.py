"""The event contract and the synthetic event generator."""
