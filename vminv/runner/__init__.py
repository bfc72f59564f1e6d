"""Unattended runs: configuration profiles, ``vminv run``, schedules, metrics, Ansible.

The top library layer: it may use scanner, inventory and rhev, and only the
CLI uses it. Like the layers below, it reads no argv and no environment; the
CLI reads the configuration file and secrets and passes them in.
"""
