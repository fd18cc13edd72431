"""A student's own layers: the contract, a sandbox to run them in, and the check against the
engine. NumPy only, never Qt."""
