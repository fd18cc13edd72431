"""Tools for a class: draw a digit, model and data, the test set, presenter mode and focus,
themes, PNG and GIF exports.

``controller`` assembles them in the window; each other module is one feature with its
widgets (``drawing``, ``model_data``, ``testset``, ``presenter``, ``focus``, ``theme``,
``exports``), and ``images`` turns QImages into arrays and back.
"""
