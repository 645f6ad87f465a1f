import sys

from lexnorm.cli import main

sys.exit(main())
