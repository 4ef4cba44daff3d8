"""The carevis window inside a Qt application, beside a council filter and a colour picker.

pip install PyQt6   (or PySide6 / PyQt5: change QT below)
python examples/qt_embed.py journeys.parquet
"""

from __future__ import annotations

import sys
from typing import Any

import carevis
from carevis.window import COLOURS, CarevisCanvas

QT = "pyqt6"


def build(scene: carevis.Scene, size: tuple[int, int] = (1280, 720)) -> dict[str, Any]:
    """The main window with the canvas in it; returns its parts by name (for the caller,
    and for tests). A QApplication must exist first."""
    from PyQt6 import QtWidgets

    window = QtWidgets.QMainWindow()
    window.setWindowTitle("carevis in Qt")
    body = QtWidgets.QWidget()
    window.setCentralWidget(body)
    layout = QtWidgets.QVBoxLayout(body)
    bar = QtWidgets.QHBoxLayout()
    layout.addLayout(bar)

    canvas = CarevisCanvas(scene, app=QT, parent=body, size=size)
    layout.addWidget(canvas.native)

    # The menu actions do what the keys S and V do in the plain window.
    menu = window.menuBar().addMenu("&File")
    save = menu.addAction("Save view as PNG (4K)...")
    save.triggered.connect(
        lambda: canvas.save(
            QtWidgets.QFileDialog.getSaveFileName(window, "Save", "", "*.png")[0] or None
        )
    )
    record = menu.addAction("Start / stop recording a clip")
    record.triggered.connect(lambda: canvas.toggle_recording())

    council = QtWidgets.QComboBox()
    council.addItem("")
    council.addItems(canvas.filter_values("la"))
    council.currentTextChanged.connect(lambda la: canvas.set_filter(la=la or None))
    bar.addWidget(QtWidgets.QLabel("Council"))
    bar.addWidget(council)

    colour = QtWidgets.QComboBox()
    colour.addItems(COLOURS)
    colour.currentTextChanged.connect(canvas.set_colour)
    bar.addWidget(QtWidgets.QLabel("Colour"))
    bar.addWidget(colour)

    play = QtWidgets.QPushButton("Play / pause")
    play.clicked.connect(canvas.toggle)
    bar.addWidget(play)
    bar.addStretch()
    return {
        "window": window,
        "canvas": canvas,
        "save": save,
        "record": record,
        "council": council,
        "colour": colour,
        "play": play,
    }


def main(path: str) -> None:
    from PyQt6 import QtWidgets

    qt_app = QtWidgets.QApplication(sys.argv)
    parts = build(carevis.Scene(carevis.read(path)))
    parts["window"].resize(1300, 800)
    parts["window"].show()
    parts["canvas"].play()
    qt_app.exec()


if __name__ == "__main__":
    main(sys.argv[1])
