"""The debugger in the window: phase stepping, rewind, replay, dry run, breakpoints, the
inspector, the gradient check and the update view."""
