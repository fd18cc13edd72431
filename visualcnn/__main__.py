import sys

from visualcnn.cli import main

sys.exit(main())
