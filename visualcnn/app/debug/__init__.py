"""The debugger in the window: phase stepping, rewind, replay, dry run, breakpoints, the
inspector, the gradient check and the update view.

``controller`` wires it to the window; ``phase_view`` draws a step walked phase by phase;
``inspector`` handles clicks on the panels and ``explanations`` writes what it shows; the
``*_dock`` modules and ``update_view`` are the docks' widgets; ``history_budget`` is the
rewind history's budget (Debug menu and dialog), ``divergence_banner`` what the banner says
when Run pauses at the first sign of divergence.
"""
