# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Structured data to OpenStack configuration files: the one renderer every runtime uses.

Configuration is a mapping ``section -> option -> value``. Layers are merged (later wins, ``None``
deletes), then rendered deterministically: ``DEFAULT`` first, other sections and options sorted, so
identical input always gives identical bytes and therefore the same content hash.

Value rendering follows what oslo.config's own parser (``oslo_config.iniparser``) reads back:

* booleans become ``true``/``false``; numbers their ``str()``; ``None`` leaves the option out;
* a list is a ListOpt value, joined with ``,`` (elements must not contain a comma);
* a mapping is a DictOpt value ``k1:v1,k2:v2`` (sorted), except ``{"__multi__": [...]}`` which repeats
  the option once per element (MultiStrOpt), in the given order;
* a multi-line string is written as continuation lines; oslo ends a value at a blank line and strips
  the indentation of continuation lines, so blank or indented inner lines cannot round-trip and are
  refused rather than silently changed;
* a value oslo would strip (leading/trailing blanks, or enclosed in matching quotes) is wrapped in
  double quotes, which the parser removes again;
* ``$`` is passed through (oslo substitutes ``$option`` references) unless ``literal=True``, which
  escapes it as ``$$`` -- used for generated secrets, where a ``$`` is data, not a reference.

api-paste.ini files (PasteDeploy, a ConfigParser with ``%`` interpolation) get their own renderer
with middleware inserted into pipelines by position.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json

MULTI_KEY = "__multi__"


class OsloConfigError(ValueError):
    """Input that cannot be rendered faithfully; the message names the offending section/option."""


def _is_mapping(value):
    return isinstance(value, dict)


def merge(*layers):
    """Merge ``section -> option -> value`` layers, later layers winning per option.

    ``None`` as a section value removes the whole section, ``None`` as an option value removes that
    option; empty or ``None`` layers are skipped. Inputs are not modified.
    """
    result = {}
    for index, layer in enumerate(layers):
        if not layer:
            continue
        if not _is_mapping(layer):
            raise OsloConfigError("layer %d must be a mapping of sections, got %s" % (index, type(layer).__name__))
        for section, options in layer.items():
            section = str(section)
            if options is None:
                result.pop(section, None)
                continue
            if not _is_mapping(options):
                raise OsloConfigError("section [%s] must be a mapping of options, got %s"
                                      % (section, type(options).__name__))
            target = result.setdefault(section, {})
            for key, value in options.items():
                key = str(key)
                if value is None:
                    target.pop(key, None)
                else:
                    target[key] = value
    return result


def _scalar(value, where):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    raise OsloConfigError("%s: unsupported value type %s" % (where, type(value).__name__))


def _list_item(value, where):
    text = _scalar(value, where)
    if "," in text or "\n" in text:
        raise OsloConfigError("%s: list element %r contains ',' or a newline; ListOpt cannot carry it"
                              % (where, text))
    return text.strip()


def _value_lines(text, where, literal):
    """One option value as the lines after ``key = ``; the first is inline, the rest indented."""
    if literal:
        text = text.replace("$", "$$")
    lines = text.split("\n")
    if len(lines) > 1:
        for line in lines[1:]:
            if not line.strip():
                raise OsloConfigError("%s: a multi-line value cannot contain blank lines (oslo ends the value there)"
                                      % where)
            if line != line.lstrip():
                raise OsloConfigError("%s: continuation lines cannot start with blanks (oslo strips them)" % where)
            if line != line.rstrip():
                raise OsloConfigError("%s: continuation lines cannot end with blanks (oslo strips them)" % where)
    first = lines[0]
    if first != first.strip() or (len(first) > 1 and first[0] == first[-1] and first[0] in "\"'"):
        if len(lines) > 1:
            raise OsloConfigError("%s: a multi-line value cannot start or end with blanks or quotes" % where)
        first = '"%s"' % first
    return [first] + ["    " + line for line in lines[1:]]


def _render_values(value, where, literal):
    """Return a list of rendered values; more than one means the option is repeated."""
    if _is_mapping(value):
        if MULTI_KEY in value:
            if len(value) != 1 or not isinstance(value[MULTI_KEY], list):
                raise OsloConfigError("%s: {%s: [...]} must be the only key and hold a list" % (where, MULTI_KEY))
            return [_scalar(item, where) for item in value[MULTI_KEY]]
        parts = []
        for key in sorted(value, key=str):
            k, v = str(key), _list_item(value[key], where)
            if ":" in k:
                raise OsloConfigError("%s: DictOpt key %r contains ':'" % (where, k))
            parts.append("%s:%s" % (k, v))
        return [",".join(parts)]
    if isinstance(value, (list, tuple)):
        return [",".join(_list_item(item, where) for item in value)]
    return [_scalar(value, where)]


def _check_name(kind, name, where):
    if not name or name != name.strip() or "\n" in name:
        raise OsloConfigError("%s: invalid %s name %r" % (where, kind, name))
    if kind == "section" and ("]" in name or "[" in name):
        raise OsloConfigError("%s: section names cannot contain brackets" % where)
    if kind == "option" and ("=" in name or ":" in name or name[0] in "[#;"):
        raise OsloConfigError("%s: option names cannot contain '=' or ':' or start with '[', '#', ';'" % where)


def _section_order(sections):
    return sorted(sections, key=lambda s: (s != "DEFAULT", s))


def render_ini(config, literal=False, header=None):
    """Render ``section -> option -> value`` as oslo.config INI text (ends with a newline).

    Empty sections are kept (an empty ``[section]`` is harmless and shows intent).
    """
    if not _is_mapping(config):
        raise OsloConfigError("configuration must be a mapping of sections")
    out = []
    if header:
        out.extend("# " + line if line else "#" for line in header.split("\n"))
        out.append("")
    for section in _section_order([str(s) for s in config]):
        options = config[section]
        _check_name("section", section, "[%s]" % section)
        if options is None:
            continue
        if not _is_mapping(options):
            raise OsloConfigError("section [%s] must be a mapping of options" % section)
        out.append("[%s]" % section)
        for key in sorted(options, key=str):
            value = options[key]
            if value is None:
                continue
            where = "[%s] %s" % (section, key)
            _check_name("option", str(key), where)
            for rendered in _render_values(value, where, literal):
                lines = _value_lines(rendered, where, literal)
                out.append(("%s = %s" % (key, lines[0])).rstrip())
                out.extend(lines[1:])
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- api-paste.ini -----------------------------------------------------------------------------

def insert_middleware(pipeline, middleware, pipeline_name="main"):
    """Insert middleware names into a pipeline (a list whose last element is the app).

    Each item is ``{name, position: {after: X} | {before: X}}``; no position means "last filter,
    right before the app". Items apply in order, so a later one may be anchored on an earlier one.
    """
    result = list(pipeline)
    if not result:
        raise OsloConfigError("pipeline %s is empty" % pipeline_name)
    for item in middleware or []:
        name = item.get("name")
        position = item.get("position") or {}
        if not name:
            raise OsloConfigError("middleware without a name")
        if name in result:
            raise OsloConfigError("middleware %s is already in pipeline %s" % (name, pipeline_name))
        after, before = position.get("after"), position.get("before")
        if after and before:
            raise OsloConfigError("middleware %s: position takes either after or before, not both" % name)
        anchor = after or before
        if anchor is None:
            result.insert(len(result) - 1, name)
            continue
        if anchor not in result:
            raise OsloConfigError("middleware %s: position anchor %s is not in pipeline %s (%s)"
                                  % (name, anchor, pipeline_name, " ".join(result)))
        index = result.index(anchor)
        if after and index == len(result) - 1:
            raise OsloConfigError("middleware %s: cannot go after the application %s" % (name, anchor))
        result.insert(index + 1 if after else index, name)
    return result


def _paste_value(text, where):
    # PasteDeploy reads with ConfigParser interpolation: a literal '%' must be doubled.
    lines = _value_lines(text, where, literal=False)
    return [lines[0].replace("%", "%%")] + [line.replace("%", "%%") for line in lines[1:]]


def paste_model(base, middleware=None):
    """Apply middleware to a paste model; returns a new model (see :func:`render_paste`)."""
    model = {
        "composite": dict((base or {}).get("composite") or {}),
        "pipeline": dict((base or {}).get("pipeline") or {}),
        "filter": dict((base or {}).get("filter") or {}),
        "app": dict((base or {}).get("app") or {}),
    }
    for item in middleware or []:
        name = item.get("name")
        if name in model["filter"] or name in model["app"]:
            raise OsloConfigError("middleware %s clashes with an existing filter or app" % name)
        factory = item.get("filterFactory") or item.get("filter_factory")
        if not factory:
            raise OsloConfigError("middleware %s needs filterFactory" % name)
        # A PasteDeploy URI (egg:Dist#name, call:module:object) is referenced with `use`, which
        # also reaches filter_app_factory entry points; a dotted path is a plain filter factory.
        if factory.startswith(("egg:", "call:", "config:")):
            section = {"use": factory}
        else:
            section = {"paste.filter_factory": factory}
        for key, value in (item.get("config") or {}).items():
            section[str(key)] = value
        targets = item.get("pipelines") or sorted(model["pipeline"])
        for pipeline_name in targets:
            if pipeline_name not in model["pipeline"]:
                raise OsloConfigError("middleware %s: unknown pipeline %s" % (name, pipeline_name))
            model["pipeline"][pipeline_name] = insert_middleware(
                model["pipeline"][pipeline_name], [item], pipeline_name)
        model["filter"][name] = section
    for pipeline_name, elements in model["pipeline"].items():
        for element in elements[:-1]:
            if element not in model["filter"]:
                raise OsloConfigError("pipeline %s uses filter %s, which has no [filter:%s] section"
                                      % (pipeline_name, element, element))
        if elements[-1] not in model["app"] and elements[-1] not in model["composite"]:
            raise OsloConfigError("pipeline %s ends with %s, which is no app or composite"
                                  % (pipeline_name, elements[-1]))
    return model


def render_paste(base, middleware=None):
    """Render an api-paste.ini from ``{composite, pipeline, filter, app}`` plus middleware.

    ``pipeline`` maps a name to a list ending in the app; ``filter``/``app``/``composite`` map a name to
    its options. Sections come out grouped by kind, in the order composite, pipeline, filter, app,
    names sorted within each kind.
    """
    model = paste_model(base, middleware)
    out = []
    for kind in ("composite", "pipeline", "filter", "app"):
        for name in sorted(model[kind]):
            _check_name("section", name, "[%s:%s]" % (kind, name))
            out.append("[%s:%s]" % (kind, name))
            if kind == "pipeline":
                out.append("pipeline = %s" % " ".join(model[kind][name]))
            else:
                options = model[kind][name]
                for key in sorted(options, key=str):
                    where = "[%s:%s] %s" % (kind, name, key)
                    _check_name("option", str(key), where)
                    lines = _paste_value(_render_values(options[key], where, False)[0], where)
                    out.append(("%s = %s" % (key, lines[0])).rstrip())
                    out.extend(lines[1:])
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


# --- policy --------------------------------------------------------------------------------------

def render_policy(*layers):
    """Merge policy rule layers (later wins, ``None`` deletes) into a sorted policy.yaml.

    Every rule is one line, ``"name": "check string"``: JSON strings are valid YAML double-quoted
    scalars, so no YAML library is needed and escaping is exact.
    """
    rules = {}
    for layer in layers:
        for name, check in (layer or {}).items():
            name = str(name)
            if not name.strip():
                raise OsloConfigError("policy rule names cannot be empty")
            if check is None:
                rules.pop(name, None)
            elif isinstance(check, str):
                rules[name] = check
            else:
                raise OsloConfigError("policy rule %s must be a string check, got %s" % (name, type(check).__name__))
    if not rules:
        return ""
    return "".join("%s: %s\n" % (json.dumps(name), json.dumps(rules[name])) for name in sorted(rules))


# --- hashing -------------------------------------------------------------------------------------

def content_hash(data, length=8):
    """Stable short hash of a string or of JSON-able data (keys sorted), for object names."""
    if not isinstance(data, str):
        data = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:int(length)]
