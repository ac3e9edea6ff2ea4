"""The YAML 1.2 core schema for PyYAML: tags, implicit resolvers and the composer classes
(libyaml's when available). Used by `yamlsource`, which builds documents from the nodes.
"""

from __future__ import annotations

import re

from yaml.composer import Composer
from yaml.nodes import ScalarNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"


class CoreResolver(BaseResolver):
    """The YAML 1.2 core schema: the only implicit types are null, bool, int, float.

    `resolve` is BaseResolver's for a resolver without path resolvers (this one never has
    any), without its per-node work: the composer asks once per scalar."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return STR
        return BaseResolver.resolve(self, kind, value, implicit)

    def descend_resolver(self, current_node, current_index):
        if self.yaml_path_resolvers:
            BaseResolver.descend_resolver(self, current_node, current_index)

    def ascend_resolver(self):
        if self.yaml_path_resolvers:
            BaseResolver.ascend_resolver(self)


CoreResolver.add_implicit_resolver(
    BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
CoreResolver.add_implicit_resolver(
    INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), list("-+0123456789")
)
CoreResolver.add_implicit_resolver(
    FLOAT,
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
CoreResolver.add_implicit_resolver(NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
# What an explicitly tagged scalar (`!!int 12`) must look like: the implicit resolvers' patterns.
_CORE_PATTERNS = {tag: regexp for first in CoreResolver.yaml_implicit_resolvers.values()
                  for tag, regexp in first}


class _PyComposer(Reader, Scanner, Parser, Composer, CoreResolver):
    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        CoreResolver.__init__(self)


try:  # libyaml's parser, when PyYAML was built with it: same nodes and marks, several times faster
    from yaml._yaml import CParser

    class _CComposer(CParser, CoreResolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            CoreResolver.__init__(self)

    _Composer = _CComposer
except ImportError:  # pragma: no cover - pure-Python PyYAML
    _Composer = _PyComposer
