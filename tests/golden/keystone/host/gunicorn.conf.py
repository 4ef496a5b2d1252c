# Rendered by c5c3.cobaltcore.keystone; do not edit.
# A bare `gunicorn` started in this directory reads this file. Keystone's oslo.config parses the
# worker's sys.argv, so gunicorn must get no command-line arguments at all.
import os

os.environ["OS_KEYSTONE_CONFIG_DIR"] = "/srv/keystone/etc"
os.environ["OS_KEYSTONE_CONFIG_FILES"] = "/srv/keystone/etc/keystone.conf;/srv/keystone/state/secrets/keystone-secrets.conf"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

wsgi_app = "keystone.wsgi.api:application"
bind = ["127.0.0.1:5000"]
workers = 2
daemon = True
pidfile = "/srv/keystone/state/gunicorn.pid"
accesslog = "/srv/keystone/log/access.log"
errorlog = "/srv/keystone/log/gunicorn.log"
timeout = 60

# Middleware from api-paste.ini that keystone does not build in, outermost first. Keystone 30 has no
# paste pipeline of its own, so these wrap its whole application.
EXTRA_FILTERS = []
PASTE_FILE = "/srv/keystone/etc/api-paste.ini"


def post_worker_init(worker):
    if not EXTRA_FILTERS:
        return
    from paste.deploy import loadfilter

    app = worker.wsgi
    for name in reversed(EXTRA_FILTERS):
        app = loadfilter("config:" + PASTE_FILE, name=name)(app)
    worker.wsgi = app
