"""Mini-batches in the window: ``controller`` keeps the sample in focus and hands the panels
its view of a batch's trace; ``strip`` draws the batch's samples under the toolbars."""
