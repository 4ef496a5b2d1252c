# Rendered by c5c3.cobaltcore.openstack_service for keystone; do not edit.
# A bare `gunicorn` started in this directory reads this file. oslo.config parses the worker's
# sys.argv, so gunicorn gets no command-line arguments at all.
import os

os.environ["OS_KEYSTONE_CONFIG_DIR"] = "/etc/keystone"
os.environ["OS_KEYSTONE_CONFIG_FILES"] = "/etc/keystone/keystone.conf;/var/lib/keystone/secrets/keystone-secrets.conf"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

wsgi_app = "keystone.wsgi.api:application"
workers = 2
timeout = 60
bind = ["0.0.0.0:5000"]
accesslog = "-"
errorlog = "-"

# Paste filters from api-paste.ini, outermost first, wrapped around the
# whole application (the service builds no paste pipeline of its own).
WSGI_FILTERS = ["gzip", "audit"]
PASTE_FILE = "/etc/keystone/api-paste.ini"


def post_worker_init(worker):
    from paste.deploy import loadfilter

    app = worker.wsgi
    for name in reversed(WSGI_FILTERS):
        app = loadfilter("config:" + PASTE_FILE, name=name)(app)
    worker.wsgi = app
