"""Settings for the suite: the product's settings with KEHU_ENV=test."""

import os

os.environ.setdefault("KEHU_ENV", "test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from kehu.settings import *  # noqa: F403
