"""`visualcnn lesson NAME` opens the window on that lesson."""

from PyQt6.QtWidgets import QApplication

from visualcnn import cli


def test_the_lesson_command_opens_the_window_on_the_lesson(settings_dir, monkeypatch, qtbot):
    seen = []

    def exec_and_look():
        # In place of the event loop: the window as the user would first see it.
        windows = [w for w in QApplication.topLevelWidgets() if hasattr(w, "lessons")
                   and w.isVisible()]
        seen.extend(windows)
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(exec_and_look))
    assert cli.main(["lesson", "max-pool"]) == 0
    [window] = seen
    try:
        assert window.lessons.lesson.name == "max-pool"
        assert window.session.net.arch == "conv8x3-pool2-dense10"
        assert window.lessons.view.position.text() == "Card 1 of 3"
        assert window.lessons.framed is window.docks["pool1"]
    finally:
        window.close()
        window.deleteLater()
