# Rendered by c5c3.cobaltcore.keystone; do not edit.
# A bare `gunicorn` started in this directory reads this file. Keystone's oslo.config parses the
# worker's sys.argv, so gunicorn must get no command-line arguments at all.
import os

os.environ["OS_KEYSTONE_CONFIG_DIR"] = "/etc/keystone"
os.environ["OS_KEYSTONE_CONFIG_FILES"] = "/etc/keystone/keystone.conf;/var/lib/keystone/secrets/keystone-secrets.conf"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

wsgi_app = "keystone.wsgi.api:application"
bind = ["0.0.0.0:5000"]
workers = 2
accesslog = "-"
errorlog = "-"
timeout = 60

# Middleware from api-paste.ini that keystone does not build in, outermost first. Keystone 30 has no
# paste pipeline of its own, so these wrap its whole application.
EXTRA_FILTERS = ["gzip", "audit"]
PASTE_FILE = "/etc/keystone/api-paste.ini"


def post_worker_init(worker):
    if not EXTRA_FILTERS:
        return
    from paste.deploy import loadfilter

    app = worker.wsgi
    for name in reversed(EXTRA_FILTERS):
        app = loadfilter("config:" + PASTE_FILE, name=name)(app)
    worker.wsgi = app
