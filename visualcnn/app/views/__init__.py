"""What the window draws a trace with: boards, mosaics and their one tiler, colour maps, the
layer panels, the output bars and the curves."""
