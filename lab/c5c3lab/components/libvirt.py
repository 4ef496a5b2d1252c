"""Two lab hypervisors: two privileged libvirtd (+ virtlogd) instances with QEMU, side by side.

A privileged libvirtd keeps its state under fixed paths (/etc/libvirt, /run/libvirt,
/var/lib/libvirt, ...), and live migration refuses a destination whose hostname or host UUID equals
the source's. So each instance runs in its own mount and UTS namespace (``unshare``): its own
directories are bind-mounted over the fixed paths, it has its own hostname (``lab-hv1``,
``lab-hv2``) and host UUID, and an /etc/hosts that resolves both names to 127.0.0.1 (the migration
stream goes to the destination's hostname). Nothing is written to the host's /etc/libvirt.

Clients reach each instance on a unix socket in the lab directory and on a loopback TCP port with
``auth_tcp = "none"`` -- relaxed because it is the lab. libvirtd.conf and qemu.conf are written by
the hypervisor role (action configure, lab mode), the same templates that configure TLS/SASL on
real hosts. QEMU runs as root without a security driver (no libvirt-qemu account semantics here),
KVM when /dev/kvm works, otherwise TCG.

Smoke guests boot a 600-byte multiboot kernel assembled here from source (binutils) that prints
its boot marker and its command line on the serial port, then halts: enough to prove a hypervisor
boots guests, and small enough to live-migrate in a second.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path

from c5c3lab import process
from c5c3lab.components.base import Component, Launch
from c5c3lab.settings import REPO_ROOT

HYPERVISORS = ("lab-hv1", "lab-hv2")
SMOKE_MARKER = "c5c3-smoke-guest booted:"

# Bind mounts inside each instance's namespace: lab subdirectory -> the path libvirt hard-codes.
_STATE_DIRS = (
    ("etc", "/etc/libvirt"),
    ("run", "/run/libvirt"),
    ("lib", "/var/lib/libvirt"),
    ("cache", "/var/cache/libvirt"),
    ("log", "/var/log/libvirt"),
)

# Multiboot (v1) kernel: QEMU's -kernel loader finds the header in the first 8 KiB, enters
# 32-bit protected mode with EBX -> multiboot info; flag bit 2 means a command line is present.
SMOKE_KERNEL_SOURCE = r"""
    .text
    .code32
    .align 4
    .long 0x1BADB002
    .long 0
    .long -0x1BADB002
    .globl _start
_start:
    mov %ebx, %edi
    mov $banner, %esi
    call puts
    testl $4, (%edi)
    jz 1f
    mov 16(%edi), %esi
    call puts
1:  mov $crlf, %esi
    call puts
2:  cli
    hlt
    jmp 2b
puts:
    mov $0x3f8, %dx
3:  lodsb
    test %al, %al
    jz 4f
    outb %al, %dx
    jmp 3b
4:  ret
banner: .asciz "MARKER "
crlf: .asciz "\r\n"
""".replace("MARKER", SMOKE_MARKER)


class LibvirtHypervisors(Component):
    name = "libvirt"
    ready_timeout = 90.0

    # --- layout -------------------------------------------------------------------------------
    def instance_dir(self, host: str) -> Path:
        return self.data_dir / host

    def socket(self, host: str) -> Path:
        return self.instance_dir(host) / "sock" / "libvirt-sock"

    def tcp_port(self, host: str) -> int:
        return getattr(self.settings.ports, f"libvirt_{host[-3:]}_tcp")

    def migration_ports(self, host: str) -> tuple[int, int]:
        first = getattr(self.settings.ports, f"libvirt_{host[-3:]}_migration")
        return first, first + 2

    def unix_uri(self, host: str) -> str:
        return f"qemu+unix:///system?socket={self.socket(host)}"

    def tcp_uri(self, host: str) -> str:
        return f"qemu+tcp://{self.settings.host}:{self.tcp_port(host)}/system"

    @property
    def smoke_kernel(self) -> Path:
        return self.data_dir / "guest" / "smoke-guest.elf"

    @property
    def hosts_file(self) -> Path:
        return self.data_dir / "hosts"

    def host_uuid(self, host: str) -> str:
        # Stable per lab directory and host, and distinct between the two instances.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"c5c3lab:{self.settings.lab_dir}:{host}"))

    def ports(self) -> list[int]:
        return [self.tcp_port(h) for h in HYPERVISORS]

    # --- lifecycle ----------------------------------------------------------------------------
    def prepare(self) -> None:
        for tool in ("unshare", "libvirtd", "virtlogd", "virsh", "qemu-system-x86_64", "as", "ld"):
            if not shutil.which(tool):
                raise process.LabError(f"libvirt: {tool} not found; run `make deps` (lab/install-deps.sh)")
        longest = self.socket(HYPERVISORS[0]).parent / "libvirt-admin-sock"
        if len(str(longest)) > 107:  # sun_path is 108 bytes; libvirtd dies without saying why
            raise process.LabError(f"libvirt: socket path {longest} is too long for a unix socket; "
                                   "use a shorter lab directory (C5C3_LAB_DIR)")
        self._ensure_qemu_account()
        self._build_smoke_kernel()
        self.hosts_file.write_text(
            "127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {h}\n" for h in HYPERVISORS)
        )
        for host in HYPERVISORS:
            self._write_instance_config(host)

    @staticmethod
    def _ensure_qemu_account() -> None:
        # Debian's libvirtd resolves its built-in QEMU user 'libvirt-qemu' before reading
        # qemu.conf and refuses to start without it (normally created by libvirt-daemon-system).
        if process.run(["getent", "group", "libvirt-qemu"], check=False).returncode != 0:
            process.run(["groupadd", "--system", "libvirt-qemu"])
        if process.run(["getent", "passwd", "libvirt-qemu"], check=False).returncode != 0:
            process.run(["useradd", "--system", "-g", "libvirt-qemu", "-d", "/var/lib/libvirt",
                         "-s", "/usr/sbin/nologin", "libvirt-qemu"])

    def _build_smoke_kernel(self) -> None:
        guest = self.smoke_kernel.parent
        guest.mkdir(parents=True, exist_ok=True)
        source = guest / "smoke-guest.S"
        if self.smoke_kernel.exists() and source.exists() and source.read_text() == SMOKE_KERNEL_SOURCE:
            return
        source.write_text(SMOKE_KERNEL_SOURCE)
        obj = guest / "smoke-guest.o"
        process.run(["as", "--32", str(source), "-o", str(obj)])
        # -N: one RWX segment right after the ELF header, so the multiboot header is in the
        # first 8 KiB where QEMU looks for it.
        process.run(["ld", "-m", "elf_i386", "-N", "--no-warn-rwx-segments", "-Ttext", "0x100000",
                     "-o", str(self.smoke_kernel), str(obj)])

    def role_vars(self, host: str) -> dict:
        """The hypervisor role's variables for one lab daemon: loopback TCP without authentication,
        QEMU as root without a security driver (lab mode), sockets and logs in the lab."""
        first, last = self.migration_ports(host)
        d = self.instance_dir(host)
        return {
            "hypervisor_action": "configure",
            "hypervisor_name": host,
            "hypervisor_lab_mode": True,
            "hypervisor_allow_tcg": True,
            # Paths in the files are seen from inside the namespace, where etc/ is /etc/libvirt.
            "hypervisor_libvirt_config_dir": str(d / "etc"),
            "hypervisor_libvirt_service": "",
            "hypervisor_libvirt_listen_tls": False,
            "hypervisor_libvirt_listen_tcp": True,
            "hypervisor_libvirt_listen_addr": self.settings.host,
            "hypervisor_libvirt_tcp_port": self.tcp_port(host),
            "hypervisor_libvirt_auth_tcp": "none",
            "hypervisor_libvirt_auth_unix_rw": "none",
            "hypervisor_libvirt_auth_unix_ro": "none",
            "hypervisor_libvirt_unix_sock_dir": str(d / "sock"),
            "hypervisor_libvirt_unix_sock_group": "root",
            "hypervisor_libvirt_host_uuid": self.host_uuid(host),
            "hypervisor_libvirt_log_outputs": "3:file:/var/log/libvirt/libvirtd.log",
            "hypervisor_qemu_user": "root",
            "hypervisor_qemu_group": "root",
            "hypervisor_qemu_security_driver": "none",
            "hypervisor_qemu_migration_port_min": first,
            "hypervisor_qemu_migration_port_max": last,
            "hypervisor_qemu_vnc_listen": self.settings.host,
            # Sandboxes (gVisor) refuse to raise another process' open-file limit.
            "hypervisor_qemu_max_files": 0,
        }

    def _write_instance_config(self, host: str) -> None:
        d = self.instance_dir(host)
        for sub in ("etc", "run", "lib", "cache", "log", "sock"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        # libvirtd.conf and qemu.conf come from the hypervisor role itself (action configure), so
        # the lab runs the daemon configuration the role writes on real hosts.
        varfile = d / "role-vars.json"
        varfile.write_text(json.dumps(self.role_vars(host)))
        ansible = Path(sys.executable).with_name("ansible")
        process.run(
            [str(ansible) if ansible.exists() else "ansible", "localhost", "-c", "local",
             "-m", "ansible.builtin.include_role", "-a", "name=c5c3.cobaltcore.hypervisor",
             "-e", f"@{varfile}", "-e", f"ansible_python_interpreter={sys.executable}"],
            env={"ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"), "ANSIBLE_INVENTORY": "localhost,"},
            timeout=300,
        )
        (d / "etc" / "virtlogd.conf").write_text('log_outputs = "3:file:/var/log/libvirt/virtlogd.log"\n')

    def _instance_script(self, host: str) -> str:
        d = self.instance_dir(host)
        mounts = "".join(
            f"mkdir -p {target} && mount --bind {d / sub} {target} || exit 1\n" for sub, target in _STATE_DIRS
        )
        return (
            mounts
            + f"mount --bind {self.hosts_file} /etc/hosts || exit 1\n"
            + f"hostname {host}\n"
            # virtlogd in the background of the same process group, so stopping the lab stops it.
            + "virtlogd -f /etc/libvirt/virtlogd.conf -p /run/libvirt/virtlogd.pid &\n"
            + "exec libvirtd --listen -f /etc/libvirt/libvirtd.conf -p /run/libvirt/libvirtd.pid\n"
        )

    def command(self) -> Launch:
        lines = ["set -u"]
        for host in HYPERVISORS:
            script = self.instance_dir(host) / "instance.sh"
            script.write_text(self._instance_script(host))
            lines.append(f"unshare --mount --uts --propagation private sh {script} &")
        # One instance dying takes the other down, so 'running' always means both.
        lines += ["wait -n", "kill 0"]
        return Launch(["bash", "-c", "\n".join(lines)])

    def virsh(self, host: str, *args: str, check: bool = True, timeout: float = 30):
        return process.run(["virsh", "-q", "-c", self.unix_uri(host), *args], check=check, timeout=timeout)

    def ready(self) -> bool:
        return all(
            self.virsh(h, "version", check=False, timeout=10).returncode == 0
            and process.tcp_open(self.settings.host, self.tcp_port(h))
            for h in HYPERVISORS
        )

    def stop(self) -> bool:
        # QEMU processes are daemonized by libvirtd (own session), so they are not in the lab's
        # process group: destroy the guests while the daemons still answer, then sweep leftovers.
        if self.running():
            for host in HYPERVISORS:
                names = self.virsh(host, "list", "--name", check=False, timeout=10).stdout.split()
                for name in names:
                    self.virsh(host, "destroy", name, check=False, timeout=30)
        return super().stop()

    def after_stop(self) -> None:
        for host in HYPERVISORS:
            for pidfile in (self.instance_dir(host) / "run" / "qemu").glob("*.pid"):
                pid = process.read_pid(pidfile)
                if pid and _is_qemu(pid):
                    process.terminate(pid, timeout=10)
                pidfile.unlink(missing_ok=True)

    def connection_info(self) -> dict[str, str]:
        info = {"LIBVIRT_SMOKE_KERNEL": str(self.smoke_kernel)}
        for host in HYPERVISORS:
            key = host.replace("lab-", "").upper()
            info[f"LIBVIRT_{key}_HOSTNAME"] = host
            info[f"LIBVIRT_{key}_URI"] = self.unix_uri(host)
            info[f"LIBVIRT_{key}_TCP_URI"] = self.tcp_uri(host)
        return info


def _is_qemu(pid: int) -> bool:
    try:
        return "qemu-system" in os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return False
