# Rendered by c5c3.cobaltcore.openstack_service for placement; do not edit.
# A bare `gunicorn` started in this directory reads this file. oslo.config parses the worker's
# sys.argv, so gunicorn gets no command-line arguments at all.
import configparser
import os

os.environ["OS_PLACEMENT_CONFIG_DIR"] = "/srv/placement/etc"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

# The secret fragment is not among the files the service loads by itself: its options become
# oslo.config environment variables (OS_<GROUP>__<OPTION>), which oslo.config reads before files.
SECRET_CONF = "/srv/placement/state/secrets/placement-secrets.conf"
_secrets = configparser.RawConfigParser(default_section="\x00", strict=False)
_secrets.optionxform = str
_secrets.read(SECRET_CONF)
for _group in _secrets.sections():
    for _option, _value in _secrets.items(_group):
        os.environ["OS_%s__%s" % (_group.upper(), _option.upper())] = _value
del _secrets

wsgi_app = "placement.wsgi.api:application"
workers = 2
timeout = 120
bind = ["127.0.0.1:8778"]
daemon = True
pidfile = "/srv/placement/state/gunicorn.pid"
accesslog = "/srv/placement/log/access.log"
errorlog = "/srv/placement/log/gunicorn.log"
