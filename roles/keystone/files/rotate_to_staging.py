"""Run by the rotation CronJob inside the keystone image: rotate a COPY of the production keys with
keystone-manage and write the result into the staging Secret. Production is never written here;
the role validates the staging Secret and promotes it (c5c3.cobaltcore.fernet_keys state=promoted).

argv: key_type (fernet|credential), production dir (read-only mount), working dir (the
key_repository of keystone.conf, an emptyDir), staging Secret name, namespace.
"""
import base64
import datetime
import json
import os
import shutil
import ssl
import subprocess
import sys
import urllib.request

SA = "/var/run/secrets/kubernetes.io/serviceaccount"


def api(method, path, body=None):
    host = os.environ["KUBERNETES_SERVICE_HOST"]
    port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
    with open(os.path.join(SA, "token")) as f:
        token = f.read().strip()
    req = urllib.request.Request(
        "https://%s:%s%s" % (host, port, path), method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=os.path.join(SA, "ca.crt"))
    with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
        return json.loads(resp.read())


def main(key_type, production, workdir, staging, namespace, *manage):
    for name in os.listdir(workdir):
        os.unlink(os.path.join(workdir, name))
    for name in os.listdir(production):
        if name.isdigit():
            shutil.copyfile(os.path.join(production, name), os.path.join(workdir, name))
            os.chmod(os.path.join(workdir, name), 0o600)
    command = "fernet_rotate" if key_type == "fernet" else "credential_rotate"
    user = str(os.getuid())
    subprocess.run(list(manage) + [command, "--keystone-user", user, "--keystone-group", str(os.getgid())],
                   check=True)
    data = {}
    for name in os.listdir(workdir):
        if name.isdigit():
            with open(os.path.join(workdir, name), "rb") as f:
                data[name] = base64.b64encode(f.read()).decode()
    path = "/api/v1/namespaces/%s/secrets/%s" % (namespace, staging)
    current = api("GET", path)
    current["data"] = data
    annotations = current["metadata"].setdefault("annotations", {})
    annotations["cobaltcore.c5c3.io/rotation-completed-at"] = datetime.datetime.now(
        datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    api("PUT", path, current)  # carries resourceVersion: a concurrent writer makes this fail
    print("staged %d %s keys in %s" % (len(data), key_type, staging))


if __name__ == "__main__":
    main(*sys.argv[1:])
