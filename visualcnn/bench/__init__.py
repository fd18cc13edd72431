"""The measurements behind ``visualcnn bench``: ``engine`` (the NumPy engine, no window) and
``gui`` (the app offscreen). Only the command line imports this package."""
