import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
application = get_wsgi_application()
# Build the URL patterns now rather than on the first request: importing them builds
# the API's schemas, tens of thousands of objects that live as long as the process.
get_resolver().url_patterns  # noqa: B018
# Everything loaded so far (Django, the URL patterns and API schemas, the pinyin
# dictionaries) stays: keep it out of the garbage collector's full passes, which
# otherwise walk it every few requests (~15 ms each; 10 % of a batch of 500 orders).
gc.freeze()
# A batch of 500 pushed orders leaves ~14,000 more container objects alive mid-request
# than before it; at the default thresholds (700, 10, 10) the collector made ~20 young
# passes per batch and a full one every few batches: ~5 ms of an ~80-ms batch, measured
# by alternating the settings every ten batches in one process. Young passes now come
# every 50,000 new objects and full ones after 20 × 20 of those; cyclic garbage waits
# longer (a few MB at most) for a tenth of the work.
gc.set_threshold(50_000, 20, 20)
