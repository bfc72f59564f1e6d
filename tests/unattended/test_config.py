"""The configuration file: precedence, merging, and errors that name the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from vminv.runner.config import ConfigError, config_candidates, parse_config, resolve_profile, show_profile
from vminv.runner.tomllines import key_line

GOOD = """\
# a comment
[defaults]
db = "/var/lib/vminv/inventory.db"
timeout = 30
write = "w"
follow_moves = true
[defaults.engine]
user = "scanner@internal"
password_file = "/etc/vminv/rhevm.pw"

[defaults.health]
fail_on = "high"

[profiles.prod]
noderange = "kvmhost[01-20]"
concurrency = 32
metrics_file = "/var/lib/node_exporter/textfile/vminv.prom"
retention = { days = 30, vacuum = "auto" }

[profiles.prod.engine]
url = "https://rhevm.example.com"
password = "s3cret"

[profiles.lab]
noderange = "lab[1-4]"
write = "none"
timeout = 5.5
"""


def test_a_profile_merges_defaults_and_the_command_line_wins():
    config = parse_config(GOOD, "/etc/vminv/config.toml")
    prod = resolve_profile(config, "prod", {"timeout": 12, "write": "u"})
    assert prod.noderange == "kvmhost[01-20]" and prod.concurrency == 32
    assert prod.timeout_s == 12 and prod.write == "u"  # command line over defaults
    assert prod.follow_moves is True and prod.db == Path("/var/lib/vminv/inventory.db")
    assert prod.engine is not None
    assert (prod.engine.url, prod.engine.user) == ("https://rhevm.example.com", "scanner@internal")
    assert prod.engine.password_file == Path("/etc/vminv/rhevm.pw") and prod.engine.password == "s3cret"
    assert prod.retention is not None and prod.retention.days == 30 and prod.retention.scans is None
    assert prod.health.fail_on == "high"
    assert prod.sources["timeout"] == "command line" and prod.sources["engine.user"] == "defaults"
    lab = resolve_profile(config, "lab")
    assert lab.write is None and lab.timeout_s == 5.5 and lab.sources["timeout"] == "profile"


def test_show_masks_secrets_and_names_sources():
    rows = {key: (value, source) for key, value, source in show_profile(resolve_profile(parse_config(GOOD, "c"), "prod"))}
    assert rows["engine.password"] == ("********", "profile")
    assert rows["engine.password_file"] == ("/etc/vminv/rhevm.pw", "defaults")
    assert rows["concurrency"] == ("32", "profile")
    assert rows["xml_threads"] == ("32", "built-in")
    assert "s3cret" not in repr(rows) and "s3cret" not in repr(resolve_profile(parse_config(GOOD, "c"), "prod"))


def test_show_masks_a_password_inside_a_uri_or_engine_url():
    text = ('[profiles.p]\nnoderange = "h1"\nuri = "qemu+ssh://root:S3cretUri@{host}/system"\n'
            '[profiles.p.engine]\nurl = "https://admin%40internal:S3cretUrl@engine.example/api"\n')
    rows = {key: value for key, value, _ in show_profile(resolve_profile(parse_config(text, "c"), "p"))}
    assert rows["uri"] == "qemu+ssh://root:********@{host}/system"
    assert rows["engine.url"] == "https://admin%40internal:********@engine.example/api"
    assert "S3cret" not in repr(rows)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.prod]\nnoderange = 'a'\ntimout = 3\n", "/x/c.toml:3: unknown key profiles.prod.timout"),
        ("[profiles.prod]\nnoderange = 'a'\n\n[profiles.prod.engine]\nurl = 'https://e'\ninsecure = 'yes'\n",
         "/x/c.toml:6: profiles.prod.engine.insecure must be true or false"),
        ("[defaults]\nconcurrency = '8'\n", "/x/c.toml:2: defaults.concurrency must be a whole number"),
        ("[defaults]\nwrite = 'x'\n", "/x/c.toml:2: defaults.write must be one of"),
        ("[profiles.p]\nnoderange = 'a'\nretention = { days = 'ten' }\n", "/x/c.toml:3: profiles.p.retention.days must be a number"),
        ("[profiles.p]\nnoderange = 'a'\nretention = { weeks = 3 }\n", "/x/c.toml:3: unknown key profiles.p.retention.weeks"),
        ("[profiles.p]\nnoderange = 'a'\naddresses = ['lease', 'dhcp']\n", "/x/c.toml:3: profiles.p.addresses has 'dhcp'"),
        ("[extras]\nx = 1\n", "/x/c.toml:1: unknown key extras"),
        ("[profiles.'bad name']\nnoderange = 'a'\n", "/x/c.toml:1: profile name 'bad name' is not usable"),
        ("[profiles.p]\nnoderange = 'a'\nhealth.fail_on = 'bad'\n", "/x/c.toml:3: profiles.p.health.fail_on must be one of"),
        ("[defaults]\ntimeout = \n", "/x/c.toml: not valid TOML"),
    ],
)
def test_errors_name_the_file_the_line_and_the_key(text, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "/x/c.toml")
    assert str(caught.value).startswith(message), str(caught.value)
    assert "\n" not in str(caught.value)


def test_profile_level_errors():
    config = parse_config(GOOD + "[profiles.empty]\ntimeout = 3\n", "c.toml")
    with pytest.raises(ConfigError, match=r"no profile 'nope'; profiles in the file: empty, lab, prod"):
        resolve_profile(config, "nope")
    with pytest.raises(ConfigError, match="has no noderange"):
        resolve_profile(config, "empty")
    with pytest.raises(ConfigError, match="command line: timeout must be a number"):
        resolve_profile(config, "prod", {"timeout": "soon"})
    with pytest.raises(ConfigError, match=r"engine\.url is missing"):
        resolve_profile(parse_config("[profiles.p]\nnoderange = 'a'\n[profiles.p.engine]\nuser = 'a@b'\n", "c"), "p")


def test_key_lines_for_headers_dotted_and_quoted_keys():
    text = '[a]\nx = 1\n"q k" = 2\n[a.b]\ny.z = """\nw = 3\n"""\nv = 4\n'
    assert key_line(text, ("a", "x")) == 2
    assert key_line(text, ("a", "q k")) == 3
    assert key_line(text, ("a", "b")) == 4
    assert key_line(text, ("a", "b", "y", "z")) == 5
    assert key_line(text, ("a", "b", "w")) == 4  # inside a multi-line string: no key; its table's line
    assert key_line(text, ("a", "b", "v")) == 8
    assert key_line(text, ("nope",)) is None


def test_where_the_configuration_is_looked_for(tmp_path):
    assert config_candidates("~/c.toml", "/env.toml", tmp_path) == [(Path("~/c.toml").expanduser(), True)]
    assert config_candidates(None, "/env.toml", tmp_path) == [(Path("/env.toml"), True)]
    assert config_candidates(None, None, tmp_path) == [
        (tmp_path / ".config" / "vminv" / "config.toml", False),
        (Path("/etc/vminv/config.toml"), False),
    ]


def test_a_postgresql_db_stays_a_uri_and_a_password_in_it_is_refused_unprinted():
    text = '[profiles.pg]\nnoderange = "h1"\ndb = "postgresql://vminv@db.example.com/inventory"\n'
    profile = resolve_profile(parse_config(text, "c.toml"), "pg")
    assert profile.db == "postgresql://vminv@db.example.com/inventory"
    assert ("db", "postgresql://vminv@db.example.com/inventory") in {(k, v) for k, v, _ in show_profile(profile)}
    for uri in ("postgresql://vminv:hunter2@db.example.com/inventory", "postgres://db/inv?password=hunter2"):
        with pytest.raises(ConfigError) as caught:
            parse_config(f'[profiles.pg]\nnoderange = "h1"\ndb = "{uri}"\n', "c.toml")
        assert "c.toml" in caught.value.message and "holds a password" in caught.value.message
        assert "hunter2" not in str(caught.value) and "hunter2" not in (caught.value.hint or "")
