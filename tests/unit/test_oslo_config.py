"""The config renderer: ordering, value rules checked against oslo.config's own parser, precedence,
paste pipelines, policy files, hashing."""
from __future__ import annotations

import configparser

import pytest
from oslo_config import cfg

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.oslo_config import (
    MULTI_KEY,
    OsloConfigError,
    content_hash,
    insert_middleware,
    merge,
    render_ini,
    render_paste,
    render_policy,
)


def oslo_read(tmp_path, text, opts):
    """Parse ``text`` with a real ConfigOpts and return the registered options' values."""
    path = tmp_path / "t.conf"
    path.write_text(text)
    conf = cfg.ConfigOpts()
    for group, opt in opts:
        conf.register_opt(opt, group=group)
    conf(args=[], default_config_files=[str(path)], default_config_dirs=[])
    return conf


def test_sections_sorted_default_first_and_options_sorted():
    text = render_ini({"zeta": {"b": 1, "a": 2}, "alpha": {"y": "1"}, "DEFAULT": {"debug": False}})
    assert text == "[DEFAULT]\ndebug = false\n\n[alpha]\ny = 1\n\n[zeta]\na = 2\nb = 1\n"


def test_rendering_is_independent_of_insertion_order():
    a = {"s1": {"x": 1, "y": 2}, "s2": {"z": 3}}
    b = {"s2": {"z": 3}, "s1": {"y": 2, "x": 1}}
    assert render_ini(a) == render_ini(b)
    assert content_hash(render_ini(a)) == content_hash(render_ini(b))


def test_values_round_trip_through_oslo_config(tmp_path):
    data = {
        "DEFAULT": {"flag": True, "off": False, "count": 7, "names": ["a", "b", "c"],
                    "mapping": {"b": "2", "a": "1"}, "padded": "  spaced  ", "quoted": '"q"',
                    "multi": {MULTI_KEY: ["one", "two"]}, "text": "line one\nline two\nline three",
                    "empty": ""},
    }
    conf = oslo_read(tmp_path, render_ini(data), [
        (None, cfg.BoolOpt("flag")), (None, cfg.BoolOpt("off")), (None, cfg.IntOpt("count")),
        (None, cfg.ListOpt("names")), (None, cfg.DictOpt("mapping")), (None, cfg.StrOpt("padded")),
        (None, cfg.StrOpt("quoted")), (None, cfg.MultiStrOpt("multi")), (None, cfg.StrOpt("text")),
        (None, cfg.StrOpt("empty")),
    ])
    assert conf.flag is True and conf.off is False and conf.count == 7
    assert conf.names == ["a", "b", "c"]
    assert conf.mapping == {"a": "1", "b": "2"}
    assert conf.padded == "  spaced  "
    assert conf.quoted == '"q"'
    assert conf.multi == ["one", "two"]
    assert conf.text == "line one\nline two\nline three"
    assert conf.empty == ""


def test_literal_escapes_dollar_for_oslo_substitution(tmp_path):
    secret = "pa$word$$x"
    conf = oslo_read(tmp_path, render_ini({"database": {"connection": secret}}, literal=True),
                     [("database", cfg.StrOpt("connection"))])
    assert conf.database.connection == secret
    # Without literal the '$' is oslo's substitution syntax and is left for oslo to expand.
    assert "connection = $state_path/x" in render_ini({"database": {"connection": "$state_path/x"}})


@pytest.mark.parametrize("value, message", [
    ("a\n\nb", "blank lines"),
    ("a\n  b", "start with blanks"),
    (["a,b"], "contains ','"),
    ({"k:x": "v"}, "contains ':'"),
    ({MULTI_KEY: "x"}, "hold a list"),
    (object(), "unsupported value type"),
])
def test_unrepresentable_values_are_refused_with_the_option_named(value, message):
    with pytest.raises(OsloConfigError, match=message) as err:
        render_ini({"sec": {"opt": value}})
    assert "[sec] opt" in str(err.value)


@pytest.mark.parametrize("section, option", [("bad]", "x"), ("ok", "a=b"), ("ok", "#x"), ("ok", " x")])
def test_bad_names_are_refused(section, option):
    with pytest.raises(OsloConfigError):
        render_ini({section: {option: "v"}})


def test_merge_precedence_and_deletion():
    defaults = {"DEFAULT": {"debug": False, "use_stderr": True}, "cache": {"enabled": True}}
    fields = {"DEFAULT": {"debug": True}, "token": {"provider": "fernet"}}
    extra = {"DEFAULT": {"use_stderr": None}, "cache": None, "token": {"expiration": "600"}}
    merged = merge(defaults, fields, extra)
    assert merged == {"DEFAULT": {"debug": True}, "token": {"provider": "fernet", "expiration": "600"}}
    assert defaults == {"DEFAULT": {"debug": False, "use_stderr": True}, "cache": {"enabled": True}}


def test_merge_rejects_non_mapping_sections():
    with pytest.raises(OsloConfigError, match=r"section \[x\]"):
        merge({"x": ["not", "a", "mapping"]})


BASE_PIPELINE = ["cors", "sizelimit", "request_id", "app"]


@pytest.mark.parametrize("middleware, expected", [
    ([{"name": "audit", "position": {"after": "request_id"}}], ["cors", "sizelimit", "request_id", "audit", "app"]),
    ([{"name": "audit", "position": {"before": "cors"}}], ["audit", "cors", "sizelimit", "request_id", "app"]),
    ([{"name": "audit"}], ["cors", "sizelimit", "request_id", "audit", "app"]),
    ([{"name": "a", "position": {"after": "cors"}}, {"name": "b", "position": {"before": "a"}}],
     ["cors", "b", "a", "sizelimit", "request_id", "app"]),
])
def test_middleware_inserted_by_position(middleware, expected):
    assert insert_middleware(BASE_PIPELINE, middleware) == expected


@pytest.mark.parametrize("item, message", [
    ({"name": "x", "position": {"after": "nope"}}, "anchor nope is not in pipeline"),
    ({"name": "x", "position": {"after": "cors", "before": "cors"}}, "either after or before"),
    ({"name": "cors"}, "already in pipeline"),
    ({"name": "x", "position": {"after": "app"}}, "after the application"),
])
def test_middleware_position_errors(item, message):
    with pytest.raises(OsloConfigError, match=message):
        insert_middleware(BASE_PIPELINE, [item])


def test_paste_ini_reads_back_with_configparser_interpolation():
    base = {"pipeline": {"main": ["cors", "app"]},
            "filter": {"cors": {"paste.filter_factory": "oslo_middleware:CORS.factory"}},
            "app": {"app": {"paste.app_factory": "svc:factory"}}}
    text = render_paste(base, [{"name": "audit", "filterFactory": "keystonemiddleware.audit:filter_factory",
                                "position": {"after": "cors"}, "config": {"audit_map_file": "/etc/x%y.conf"}}])
    parser = configparser.ConfigParser()
    parser.read_string(text)
    assert parser["pipeline:main"]["pipeline"] == "cors audit app"
    assert parser["filter:audit"]["audit_map_file"] == "/etc/x%y.conf"
    assert parser["filter:audit"]["paste.filter_factory"] == "keystonemiddleware.audit:filter_factory"


def test_paste_pipeline_must_reference_defined_filters():
    with pytest.raises(OsloConfigError, match="has no \\[filter:ghost\\]"):
        render_paste({"pipeline": {"main": ["ghost", "app"]}, "app": {"app": {"paste.app_factory": "x:y"}}})
    with pytest.raises(OsloConfigError, match="needs filterFactory"):
        render_paste({"pipeline": {"main": ["app"]}, "app": {"app": {}}}, [{"name": "m"}])


def test_policy_layers_sorted_and_later_wins():
    text = render_policy({"b": "rule:x", "a": "role:reader"}, {"b": "role:admin", "a": None, "c": 'is "q"'})
    assert text == '"b": "role:admin"\n"c": "is \\"q\\""\n'
    import yaml

    assert yaml.safe_load(text) == {"b": "role:admin", "c": 'is "q"'}
    assert render_policy({}) == ""
    with pytest.raises(OsloConfigError):
        render_policy({"": "x"})
    with pytest.raises(OsloConfigError):
        render_policy({"x": ["list"]})


def test_content_hash_stable_and_sensitive():
    assert content_hash({"a": 1, "b": [1, 2]}) == content_hash({"b": [1, 2], "a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert len(content_hash("x")) == 8 and len(content_hash("x", 12)) == 12


def test_paste_uri_factories_are_referenced_with_use():
    base = {"pipeline": {"main": ["app"]}, "app": {"app": {"paste.app_factory": "svc:factory"}}}
    text = render_paste(base, [{"name": "gzip", "filterFactory": "egg:Paste#gzip"}])
    assert "[filter:gzip]\nuse = egg:Paste#gzip\n" in text
    assert "pipeline = gzip app" in text
