"""The embedded lab: real services on this machine, bound to 127.0.0.1 and unix sockets.

Public surface: :class:`LabSettings`, :class:`Lab` and :func:`load_settings`. Components live in
``c5c3lab.components``; each knows how to start, stop, probe and describe one service.
"""
from c5c3lab.settings import LabSettings, load_settings
from c5c3lab.lab import Lab

__all__ = ["Lab", "LabSettings", "load_settings"]
