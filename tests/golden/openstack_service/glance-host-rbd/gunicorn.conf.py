# Rendered by c5c3.cobaltcore.openstack_service for glance; do not edit.
# A bare `gunicorn` started in this directory reads this file. oslo.config parses the worker's
# sys.argv, so gunicorn gets no command-line arguments at all.
import configparser
import os

os.environ["OS_GLANCE_CONFIG_DIR"] = "/srv/glance/etc"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

# The secret fragment is not among the files the service loads by itself: its options become
# oslo.config environment variables (OS_<GROUP>__<OPTION>), which oslo.config reads before files.
SECRET_CONF = "/srv/glance/state/secrets/glance-secrets.conf"
_secrets = configparser.RawConfigParser(default_section="\x00", strict=False)
_secrets.optionxform = str
_secrets.read(SECRET_CONF)
for _group in _secrets.sections():
    for _option, _value in _secrets.items(_group):
        os.environ["OS_%s__%s" % (_group.upper(), _option.upper())] = _value
del _secrets

wsgi_app = "glance.common.wsgi_app:init_app()"
workers = 2
timeout = 120
bind = ["127.0.0.1:9292"]
daemon = True
pidfile = "/srv/glance/state/gunicorn.pid"
accesslog = "/srv/glance/log/access.log"
errorlog = "/srv/glance/log/gunicorn.log"
