# Rendered by c5c3.cobaltcore.openstack_service for glance; do not edit.
# A bare `gunicorn` started in this directory reads this file. oslo.config parses the worker's
# sys.argv, so gunicorn gets no command-line arguments at all.
import configparser
import os

os.environ["OS_GLANCE_CONFIG_DIR"] = "/etc/glance"
os.environ.setdefault("PYTHONWARNINGS", "ignore")

# The secret fragment is not among the files the service loads by itself: its options become
# oslo.config environment variables (OS_<GROUP>__<OPTION>), which oslo.config reads before files.
SECRET_CONF = "/var/lib/glance/secrets/glance-secrets.conf"
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
bind = ["0.0.0.0:9292"]
accesslog = "-"
errorlog = "-"
