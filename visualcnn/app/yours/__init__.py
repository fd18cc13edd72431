"""A student's own layers in the window (see controller.py)."""
