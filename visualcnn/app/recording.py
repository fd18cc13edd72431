"""A run recorded as an animated GIF with no one at the screen: the ``visualcnn gif`` command.

The window is opened offscreen at the size asked for (in presenter mode when asked), trains
``steps`` steps and is drawn into a frame at the start and every ``every`` steps; the frames
go through the same GIF writer as File > Record GIF, each shown for ``delay_ms``.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

from visualcnn.app.launch import application, open_window, scratch_settings

MAX_FRAMES = 100         # frames when ``every`` is left to choose: about 5 MB at 1280 x 720
DEFAULT_DELAY_MS = 500   # two steps a second, as in front of a class


def frame_steps(steps: int, every: int | None = None) -> list[int]:
    """The steps after which a frame is taken (0: before the first): every ``every`` steps
    and the last one; ``every`` None spreads at most MAX_FRAMES frames over the run."""
    if every is None:
        every = max(1, math.ceil(steps / (MAX_FRAMES - 1)))
    return sorted({0, *range(every, steps + 1, every), steps})


def record_gif(out_path, dataset, net, steps: int, size=(1280, 720), lr: float = 0.01,
               seed: int = 0, presenter: bool = False, every: int | None = None,
               delay_ms: int = DEFAULT_DELAY_MS) -> Path:
    """Train ``net`` on ``dataset`` for ``steps`` steps in an offscreen window of ``size``
    (width, height) and write the run to ``out_path`` as a looping GIF of the whole window:
    a frame before the first step and after every ``every`` steps and the last (see
    ``frame_steps``), each lasting ``delay_ms``. Returns the path written.

    Arguments are taken as checked (the command line checks them). The file is written
    atomically; an OSError says why it could not be.
    """
    app = application(offscreen=True)
    # Qt is loaded only now, as in launch.py: the command checks its arguments first.
    from visualcnn.app.classroom.gif_writer import GifStream
    from visualcnn.app.classroom.images import qimage_to_packed, render_image

    out_path = Path(out_path)
    taken = set(frame_steps(steps, every))
    stream = GifStream()
    with tempfile.TemporaryDirectory() as folder:
        window = open_window(dataset, net, lr, seed, scratch_settings(folder))
        try:
            window.resize(*size)
            window.show()
            app.processEvents()
            if presenter:
                window.actions["presenter"].setChecked(True)
                app.processEvents()
            window.fit_docks()  # the docks follow the final size, not the default one
            app.processEvents()
            for step in range(steps + 1):
                if step:
                    trace = window.session.step()
                if step not in taken:
                    continue
                if step:
                    window.show_trace(trace)
                app.processEvents()
                at_s = stream.frames * delay_ms / 1000
                stream.add(qimage_to_packed(render_image(window)), at_s)
            stream.save(out_path, stream.frames * delay_ms / 1000)
        finally:
            stream.close()
            window.loop.stop()
            window.close()
            window.deleteLater()
            app.processEvents()
    return out_path
