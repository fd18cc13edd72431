"""The desktop app: PyQt6 and pyqtgraph views of a training session. Entry points in
``visualcnn.app.launch``."""
