"""The ``kehu`` console script: Django's management commands behind one name."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "kehu"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
