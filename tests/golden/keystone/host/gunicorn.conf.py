# Rendered by c5c3.cobaltcore.openstack_service for keystone; do not edit.
# A bare `gunicorn` started in this directory reads this file. oslo.config parses the worker's
# sys.argv, so gunicorn gets no command-line arguments at all.
import os

os.environ["OS_KEYSTONE_CONFIG_DIR"] = "/srv/keystone/etc"
os.environ["OS_KEYSTONE_CONFIG_FILES"] = "/srv/keystone/etc/keystone.conf;/srv/keystone/state/secrets/keystone-secrets.conf"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

wsgi_app = "keystone.wsgi.api:application"
workers = 2
timeout = 60
bind = ["127.0.0.1:5000"]
daemon = True
pidfile = "/srv/keystone/state/gunicorn.pid"
accesslog = "/srv/keystone/log/access.log"
errorlog = "/srv/keystone/log/gunicorn.log"
