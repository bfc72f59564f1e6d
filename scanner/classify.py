"""Turn a transport or libvirt failure message into an error class and one line."""

from __future__ import annotations

import re

# Order matters: a changed host key also says "Host key verification failed",
# and ssh's "Permission denied" must not be read as a libvirt ACL error.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("host_key", re.compile(
        r"host key verification failed|remote host identification has changed|"
        r"host key for .* has changed|no \S+ host key is known|host key mismatch|"
        r"not found in known_hosts|unknown host key", re.I)),
    ("auth", re.compile(
        r"permission denied|authentication failed|too many authentication failures|"
        r"no supported authentication|auth(entication)? (is )?required|bad password", re.I)),
    ("timeout", re.compile(
        r"timed out|keepalive timeout|deadline|timeout opening channel", re.I)),
    ("unreachable", re.compile(
        r"connection refused|no route to host|could not resolve hostname|"
        r"name or service not known|temporary failure in name resolution|"
        r"network is unreachable|kex_exchange_identification|connection reset|"
        r"connection closed by remote host|host is down|no address associated", re.I)),
)

# ssh prints these on stderr before the real reason; they are noise in a one-liner.
_NOISE = re.compile(
    r"^(warning: permanently added .*|@+|.*it is possible that someone is doing something nasty.*)$", re.I
)


def classify_message(message: str) -> str:
    for error_class, pattern in _PATTERNS:
        if pattern.search(message):
            return error_class
    return "libvirt"


def one_line(message: str, limit: int = 300) -> str:
    """Collapse a multi-line libvirt/ssh message into one informative line."""
    lines = [line.strip() for line in message.splitlines()]
    kept = [line for line in lines if line and not _NOISE.match(line)]
    text = " ".join(kept) if kept else message.strip()
    text = re.sub(r"\s+", " ", text)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
