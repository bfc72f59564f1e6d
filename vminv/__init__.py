"""vminv: scan KVM hosts and keep an audited inventory of their guests.

This package holds what the three libraries share (``vminv.errors``) and the
thin command-line layer (``vminv.cli``), which nothing else imports.
"""

__version__ = "0.1.0"
