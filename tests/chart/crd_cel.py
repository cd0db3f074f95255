"""The CEL rules of a CustomResourceDefinition (`x-kubernetes-validations`), evaluated as the API
server does on create: each rule at each node of the schema the object has a value for, with
`self` bound to that value. The evaluator is PyPI's common-expression-language; the Kubernetes
library functions the vendored CRDs use and core CEL lacks are defined here after Kubernetes'
apiserver/pkg/cel/library: `isURL`/`url(…).getScheme()` (urls.go, Go's url.ParseRequestURI) and the
`split`/`substring` string extensions.
"""
import copy
import functools
import re

import cel

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", re.S)


def _parse_request_uri(text: str) -> dict | None:
    """Go's url.ParseRequestURI as urls.go calls it: an absolute URI or an absolute path, else None."""
    if not text or _CONTROL.search(text):
        return None
    m = _SCHEME.fullmatch(text)
    if m:
        scheme, rest = m.group(1).lower(), m.group(2)
    elif text.startswith("/"):
        scheme, rest = "", text
    else:
        return None  # no scheme (or an empty one, ":x"), not a path: "invalid URI for request"
    rest = rest.split("?", 1)[0]
    if scheme and not rest.startswith("/"):
        return {"scheme": scheme, "host": ""}  # opaque, as mailto:x
    host = ""
    if rest.startswith("//"):
        authority = rest[2:].split("/", 1)[0]
        host = authority.rsplit("@", 1)[-1]
        if host.startswith("["):
            close = host.find("]")
            if close < 0:
                return None
            port = host[close + 1:]
            if port and not re.fullmatch(r":[0-9]*", port):
                return None
        elif ":" in host:
            name, port = host.rsplit(":", 1)
            if not re.fullmatch(r"[0-9]*", port) or ":" in name:
                return None
        if re.search(r"[\s<>\"`{}|\\^]", host):
            return None
    return {"scheme": scheme, "host": host}


def _url(text: str) -> dict:
    parsed = _parse_request_uri(text)
    if parsed is None:
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    return parsed


def _substring(text: str, start: int, end: int | None = None) -> str:
    end = len(text) if end is None else end
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"substring({start}, {end}) out of range")
    return text[start:end]


def _split(text: str, sep: str, limit: int | None = None) -> list:
    if limit is None or limit < 0:
        return text.split(sep)
    return [] if limit == 0 else text.split(sep, limit - 1)


FUNCTIONS = {
    "isURL": lambda s: _parse_request_uri(s) is not None,
    "url": _url,
    "getScheme": lambda u: u["scheme"],
    "getHostname": lambda u: u["host"].rsplit(":", 1)[0].strip("[]") if u["host"] else "",
    "split": _split,
    "substring": _substring,
}


@functools.lru_cache(maxsize=None)
def _program(rule: str):
    return cel.compile(rule)


def check(rule: str, value) -> str | None:
    """None when `rule` holds for `self` = value; else why not (false, or the evaluation's error,
    which the API server reports as a failure too)."""
    context = cel.Context(variables={"self": value}, functions=FUNCTIONS)
    try:
        result = _program(rule).execute(context)
    except Exception as e:  # noqa: BLE001  (the library raises several types; each is a refusal)
        return f"error: {e}"
    return None if result is True else f"evaluated to {result!r}"


def defaulted(value, schema: dict):
    """A copy of `value` with the schema's `default`s filled in where a field is absent, as the API
    server does before it evaluates the rules (an HTTPRoute backendRef's `kind: Service`, …)."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        out = dict(value)
        props = schema.get("properties") or {}
        for key, sub in props.items():
            if key not in out and isinstance(sub, dict) and "default" in sub:
                out[key] = copy.deepcopy(sub["default"])
        extra = schema.get("additionalProperties")
        for key, inner in out.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                out[key] = defaulted(inner, sub)
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [defaulted(inner, schema["items"]) for inner in value]
    return value


def violations(value, schema: dict, path: str = "") -> list[str]:
    """Every rule of `schema` (an openAPIV3Schema with its CEL rules) that `value` breaks; give it
    `defaulted(value, schema)` to see the object as the API server does."""
    if value is None or not isinstance(schema, dict):
        return []
    out = []
    for v in schema.get("x-kubernetes-validations") or []:
        why = check(v["rule"], value)
        if why is not None:
            out.append(f"{path or '<object>'}: {v.get('message') or v['rule']} ({why})")
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, inner in value.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                out += violations(inner, sub, f"{path}.{key}" if path else key)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, inner in enumerate(value):
            out += violations(inner, schema["items"], f"{path}[{i}]")
    return out
