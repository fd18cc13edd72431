"""Tools for a class: draw a digit, model and data, the test set, presenter mode and focus,
themes, PNG and GIF exports."""
