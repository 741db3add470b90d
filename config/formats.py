"""Value formats the Kubernetes API server and the Tencent Cloud API enforce, checked at plan time.

A free-form string that reaches a manifest or a cloud call unchecked fails at `pulumi up`, after billing
has started. Each format here is the one the receiving API applies (quantities, DNS-1123 names and
qualified keys from k8s.io/apimachinery, Tencent Cloud ids, zones); the sources are in
docs/configuration.md, "Value formats".
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, WithJsonSchema

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1

_NUMBER = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
QUANTITY = re.compile(rf"^(?P<sign>[+-]?)(?P<num>{_NUMBER})(?P<suffix>[KMGTPE]i|[numkMGTPE]|[eE][+-]?{_NUMBER})?$")
_MULTIPLIER = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60,
               "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": 1,
               "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
"""A DNS label of at most 63 characters: a namespace name."""
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
REGION = re.compile(r"^[a-z]{2}-[a-z]+(-[a-z]+)?$")
"""ap-shanghai, na-siliconvalley, ap-shanghai-fsi."""


def boolean_shorthand(data: Any) -> Any:
    """A section written as one word where only `true`/`false` are: `yes`, `on`, `off` are strings to the
    Pulumi CLI (YAML 1.2), not booleans, so they are refused with what to write."""
    if isinstance(data, str):
        raise ValueError(f"{data!r}: write true, false or a mapping (the Pulumi CLI reads YAML 1.2, where only "
                         "true/false are booleans: yes, no, on and off are strings)")
    return data


def quantity(v: str, what: str = "quantity") -> str:
    """A non-negative Kubernetes quantity such as `500m`, `2`, `16Gi`, `1.5G`."""
    quantity_value(v, what)
    return v


def quantity_value(v: str, what: str = "quantity") -> Decimal:
    """The number a Kubernetes quantity stands for (`500m` -> 0.5, `1Gi` -> 1073741824)."""
    m = QUANTITY.fullmatch(v.strip()) if isinstance(v, str) and v == v.strip() else None
    if m is None:
        raise ValueError(f"{v!r} is not a Kubernetes {what} such as 500m, 2, 512Mi or 16Gi")
    if m["sign"] == "-":
        raise ValueError(f"{v!r}: a {what} cannot be negative")
    suffix = m["suffix"] or ""
    try:
        value = Decimal(m["num"]) * (Decimal(10) ** Decimal(suffix[1:]) if suffix[:1] in ("e", "E")
                                     else Decimal(_MULTIPLIER[suffix]))
    except (InvalidOperation, ArithmeticError):
        raise ValueError(f"{v!r} is out of the range of a Kubernetes {what}") from None
    if value > INT64_MAX:
        raise ValueError(f"{v!r} is larger than a Kubernetes {what} can be (2^63-1)")
    return value


def dns1123_subdomain(v: str, what: str) -> str:
    if len(v) > 253 or not all(DNS1123_LABEL.fullmatch(p) for p in v.split(".")):
        raise ValueError(f"{v!r} is not a valid {what}: lowercase letters, digits, '-' and '.', "
                         "starting and ending with a letter or digit, at most 253 characters")
    return v


def qualified_name(v: str, what: str = "label key") -> str:
    """`[prefix/]name`: a DNS subdomain prefix and a name of at most 63 characters."""
    prefix, _, name = v.rpartition("/")
    if "/" in v and (not prefix or "/" in prefix):
        raise ValueError(f"{v!r} is not a valid {what}: at most one '/', between a DNS prefix and a name")
    if prefix:
        try:
            dns1123_subdomain(prefix, f"{what} prefix")
        except ValueError as err:
            raise ValueError(f"{v!r}: {err}") from None
    if not name or len(name) > 63 or not _QUALIFIED_NAME.fullmatch(name):
        raise ValueError(f"{v!r} is not a valid {what}: the name part must be 1-63 letters, digits, '-', '_' "
                         "or '.', starting and ending with a letter or digit (e.g. example.com/my-key)")
    return v


def label_value(v: str) -> str:
    if len(v) > 63 or not _LABEL_VALUE.fullmatch(v):
        raise ValueError(f"label value {v!r} must be at most 63 letters, digits, '-', '_' or '.', starting and "
                         "ending with a letter or digit")
    return v


def labels(v: dict[str, str]) -> dict[str, str]:
    for k, val in v.items():
        qualified_name(k, "label key")
        label_value(val)
    return v


def annotations(v: dict[str, str]) -> dict[str, str]:
    for k in v:
        qualified_name(k, "annotation key")
    if sum(len(k) + len(val) for k, val in v.items()) > 256 * 1024:
        raise ValueError("annotations exceed the API server's 256 KiB limit")
    return v


def tencent_id(prefix: str):
    pattern = re.compile(rf"^{re.escape(prefix)}-[a-z0-9]{{8}}$")

    def check(v: str) -> str:
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not a Tencent Cloud id such as {prefix}-abcd1234 "
                             f"(`{prefix}-` and 8 lowercase letters or digits)")
        return v

    return check


def zone_in(zone: str, region: str) -> bool:
    return re.fullmatch(rf"{re.escape(region)}-[0-9]+", zone) is not None


def region(v: str) -> str:
    if not REGION.fullmatch(v):
        raise ValueError(f"{v!r} is not a Tencent Cloud region such as ap-shanghai or ap-guangzhou")
    return v


def zone(v: str) -> str:
    m = re.fullmatch(r"([a-z]{2}-[a-z]+(?:-[a-z]+)?)-[0-9]+", v)
    if m is None:
        raise ValueError(f"{v!r} is not an availability zone such as ap-shanghai-5 (`<region>-<number>`)")
    return v

def printable(v: str, what: str, max_len: int = 253) -> str:
    """One token of text for a manifest or an API: not empty, no blanks around it, at most `max_len`
    characters, and no control, zero-width or line-break characters (Unicode categories C and Z but
    the plain space), which a terminal, a YAML dump or a log line would hide."""
    hidden = sorted({f"U+{ord(c):04X}" for c in v if unicodedata.category(c)[0] in "CZ" and c != " "})
    shown = repr(v) if len(v) <= 60 else f"{v[:40]!r}... ({len(v)} characters)"
    if hidden:
        raise ValueError(f"{shown} contains invisible or control characters ({', '.join(hidden[:3])}): write the "
                         f"{what} on one line, in visible characters")
    if not v.strip():
        raise ValueError(f"the {what} is empty")
    if v != v.strip():
        raise ValueError(f"{shown} has blanks around it: write the {what} without them")
    if len(v) > max_len:
        raise ValueError(f"{shown} is too long: a {what} has at most {max_len} characters")
    return v


def _matches(pattern: re.Pattern[str], what: str, example: str, max_len: int):
    def check(v: str) -> str:
        printable(v, what, max_len)
        if not pattern.fullmatch(v):
            raise ValueError(f"{v!r} is not a {what} such as {example}")
        return v

    return check


INSTANCE_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,15}\.[0-9]{0,3}[A-Za-z]{4,8}[0-9]{1,5}$")
"""`<family>.<size>` as CVM lists them: S5.2XLARGE16, PNV4.7XLARGE116, PNV5b.8XLARGE96, SA2.MEDIUM4."""
OS_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()-]{0,63}$")
"""TKE node OS names (tlinux3.1x86_64, tlinux2.4(tkernel4)x86_64, ubuntu20.04x86_64) or image ids."""
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*(/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$")
"""A commit hash, tag or branch (git ref rules: no spaces, no `..`, no part starting with `.`)."""


def revision(v: str) -> str:
    printable(v, "revision", 128)
    if not REVISION.fullmatch(v) or ".." in v or v.endswith((".", ".lock")):
        raise ValueError(f"{v!r} is not a revision: a commit hash, or a tag or branch of letters, digits, '.', "
                         "'_', '-', '+' and '/' (no spaces, no '..', at most 128), e.g. v1.0.0")
    return v


_DNS_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_URL_PATH = re.compile(r"^(/[A-Za-z0-9._~%+=,:@-]*)*$")


def url(v: str, what: str, schemes: tuple[str, ...] = ("http", "https")) -> str:
    """An http(s) URL with a host, an optional port and path; no credentials, query or fragment."""
    printable(v, what, 2048)
    example = f"{schemes[-1]}://host.example.com/path"
    parts = urlsplit(v) if " " not in v and "\\" not in v else None
    if parts is None or parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"{v!r} is not a {what}: write {' or '.join(s + '://' for s in schemes)} and a host, "
                         f"e.g. {example}")
    if "@" in parts.netloc:
        raise ValueError(f"the {what} carries credentials (`user:password@`): write it without them; it is plain "
                         "config, not a secret")
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") else parts.netloc
    try:
        port = parts.port
    except ValueError:
        port = -1
    bracketed = host.startswith("[") and host.endswith("]")
    if port == -1 or port == 0 or not (bracketed or _DNS_NAME.fullmatch(host)) or len(host) > 253:
        raise ValueError(f"{v!r}: the host (and port 1-65535) of the {what} is not valid, e.g. {example}")
    if parts.query or parts.fragment or "?" in v or "#" in v:
        raise ValueError(f"{v!r}: a {what} takes no query or fragment")
    if not _URL_PATH.fullmatch(parts.path) or "/../" in f"{parts.path}/" or "/./" in f"{parts.path}/":
        raise ValueError(f"{v!r}: the path of the {what} may hold letters, digits and . _ ~ % + = , : @ -, "
                         "and no '.' or '..' segments")
    return v


def _shown(pattern: str, example: str) -> WithJsonSchema:
    """The editor schema shows the format as a pattern; the validator above gives the keyed message."""
    return WithJsonSchema({"type": "string", "pattern": pattern, "examples": [example]})


def _id(prefix: str) -> Any:
    return Annotated[str, AfterValidator(tencent_id(prefix)), _shown(rf"^{prefix}-[a-z0-9]{{8}}$", f"{prefix}-abcd1234")]


Quantity = Annotated[str, AfterValidator(quantity), _shown(QUANTITY.pattern.replace("?P<sign>", "").replace(
    "?P<num>", "").replace("?P<suffix>", ""), "16Gi")]
StorageClassName = Annotated[str, AfterValidator(lambda v: dns1123_subdomain(v, "StorageClass name")),
                             _shown(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", "cbs")]
Labels = Annotated[dict[str, str], AfterValidator(labels)]
Annotations = Annotated[dict[str, str], AfterValidator(annotations)]
Zone = Annotated[str, AfterValidator(zone), _shown(r"^[a-z]{2}-[a-z]+(-[a-z]+)?-[0-9]+$", "ap-shanghai-5")]
Region = Annotated[str, AfterValidator(region), _shown(REGION.pattern, "ap-shanghai")]
VpcId = _id("vpc")
SubnetId = _id("subnet")
InstanceId = _id("ins")
NatGatewayId = _id("nat")
ImageId = _id("img")
KeyId = _id("skey")
CcnId = _id("ccn")
SecurityGroupId = _id("sg")


_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"


def _printable(what: str, max_len: int = 253) -> Any:
    return Annotated[str, AfterValidator(lambda v: printable(v, what, max_len))]


def _subdomain(what: str) -> Any:
    return Annotated[str, AfterValidator(lambda v: dns1123_subdomain(v, what)), _shown(_SUBDOMAIN, "example")]


def namespace_name(v: str) -> str:
    if len(v) > 63 or not DNS1123_LABEL.fullmatch(v):
        raise ValueError(f"{v!r} is not a namespace name: a DNS label of at most 63 lowercase letters, digits and "
                         "'-', starting and ending with a letter or digit")
    return v


InstanceType = Annotated[str, AfterValidator(_matches(INSTANCE_TYPE, "CVM instance type", "S5.2XLARGE16 or "
                                                      "PNV4.7XLARGE116 (<family>.<size>)", 64)),
                         _shown(INSTANCE_TYPE.pattern, "S5.2XLARGE16")]
OsImage = Annotated[str, AfterValidator(_matches(OS_IMAGE, "TKE node OS name", "tlinux3.1x86_64 or "
                                                 "ubuntu20.04x86_64", 64)), _shown(OS_IMAGE.pattern, "tlinux3.1x86_64")]
Revision = Annotated[str, AfterValidator(revision), _shown(REVISION.pattern, "v1.0.0")]


def Url(what: str, schemes: tuple[str, ...] = ("http", "https")) -> Any:  # noqa: N802 (a type factory)
    """A URL field of `schemes`; the messages name `what` (e.g. "PyPI index URL")."""
    pattern = rf"^({'|'.join(schemes)})://[^\s@?#]+$"
    return Annotated[str, AfterValidator(lambda v: url(v, what, schemes)),
                     _shown(pattern, f"{schemes[-1]}://host.example.com/path")]


NamespaceName = Annotated[str, AfterValidator(namespace_name), _shown(DNS1123_LABEL.pattern, "llm")]
IssuerName = _subdomain("cert-manager issuer name")
IngressClassName = _subdomain("IngressClass name")
KubeContext = _printable("kubeconfig context name")
