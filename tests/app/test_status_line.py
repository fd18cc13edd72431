"""The status line under Run: a new step's text repaints the line, and lays out nothing."""

from PyQt6.QtCore import QEvent, QObject


class LayoutRequests(QObject):
    """Counts the layout requests a widget receives."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def test_each_steps_status_text_lays_out_no_dock_again(window, qtbot):
    """Every frame of Run shows a new step number: a label whose text changes asks the main
    window to lay out every dock again, a millisecond a frame."""
    requests = LayoutRequests()
    bar = window.statusBar()
    for watched in (window, bar):
        watched.installEventFilter(requests)
    qtbot.wait(50)
    requests.count = 0
    for _ in range(10):
        window.loop.step_once()
        qtbot.wait(5)
    assert window.status.text().startswith("step 10 ")
    assert requests.count == 0
    for watched in (window, bar):
        watched.removeEventFilter(requests)


def test_the_status_line_shows_its_text_and_cuts_it_when_narrow(window, qtbot):
    window.loop.step_once()
    text = window.status.text()
    assert window.status.height() >= window.status.fontMetrics().height()
    image = window.status.grab().toImage()
    assert image.width() > 0
    # Some pixels differ from the background: the text is drawn.
    background = image.pixel(image.width() - 1, image.height() - 1)
    assert any(image.pixel(x, y) != background for x in range(0, min(200, image.width()))
               for y in range(image.height()))
    window.resize(400, window.height())
    qtbot.wait(20)
    assert window.status.text() == text  # the whole text stays, the line shows what fits
