"""Where a field sits in a YAML file: trainer-edited files (scenarios, playbooks, gates, keyword cards) report
validation errors with a line number, found by walking the composed YAML tree along pydantic's error path."""

from __future__ import annotations

import yaml


def line_of(root: yaml.Node | None, loc: tuple, skip_missing: bool = False) -> int | None:
    """1-based line of the deepest node on ``loc`` (the key's line for a mapping entry). ``skip_missing``
    steps over path parts that are not in the file (e.g. a discriminated union's tag) instead of stopping."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
            if match is None:
                if skip_missing:
                    continue
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        elif not skip_missing:
            break
    return line
