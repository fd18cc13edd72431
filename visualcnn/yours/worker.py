"""The worker process that runs a student's layer file: ``python -m visualcnn.yours.worker PATH``.

Started by ``visualcnn.yours.sandbox.Sandbox``; it talks to it over its stdin and stdout.
"""

import sys

from visualcnn.yours.sandbox import serve

if __name__ == "__main__":
    serve(sys.argv[1])
