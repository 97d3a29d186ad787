import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the pinyin dictionaries) lives as long as the
# process: keep it out of the garbage collector's full passes (~100 ms each).
gc.freeze()
