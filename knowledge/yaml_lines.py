"""Reading trainer-edited YAML safely, and finding where a field sits in it.

``safe_load``/``compose`` refuse a file whose aliases (``*name``) would expand it past ``MAX_NODES`` values
before anything is built from it: an alias bomb of 50 KB and 42 aliases is small on disk but expands to
billions of values, and every consumer that walks it (pydantic, duplicate-key checks) pays for each one.
``line_of`` reports validation errors with a line number, found by walking the composed YAML tree along
pydantic's error path.
"""

from __future__ import annotations

import yaml

MAX_NODES = 100_000  # the largest shipped file has a few thousand values; 100k is generous and walks in ms


class YamlTooBig(yaml.MarkedYAMLError):
    """A YAML text whose aliases expand it past the node budget; ``problem`` says what to do."""


def expanded_size(text: str, max_nodes: int = MAX_NODES) -> int:
    """The number of values the text stands for once every alias is expanded; raises YamlTooBig as soon as
    the running count passes ``max_nodes`` (the parse stops there, so a bomb costs microseconds)."""
    sizes: dict[str, int] = {}  # anchor → expanded size of its node
    open_anchors: list[list] = []  # [anchor, size so far, collection depth] for anchored collections being read
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor, 1)
        elif isinstance(event, yaml.ScalarEvent | yaml.CollectionStartEvent):
            size = 1
        else:
            size = 0
        if size:
            total += size
            for entry in open_anchors:
                entry[1] += size
            if total > max_nodes:
                raise YamlTooBig(
                    problem=f"aliases (*name) expand this file to more than {max_nodes:,} values; "
                            "write the values out or use fewer, smaller aliases",
                    problem_mark=event.start_mark)
        if isinstance(event, yaml.ScalarEvent) and event.anchor:
            sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            for entry in open_anchors:
                entry[2] += 1
            if event.anchor:
                open_anchors.append([event.anchor, 1, 1])
        elif isinstance(event, yaml.CollectionEndEvent):
            for entry in open_anchors:
                entry[2] -= 1
            while open_anchors and open_anchors[-1][2] == 0:
                anchor, size, _ = open_anchors.pop()
                sizes[anchor] = size
    return total


def safe_load(text: str, max_nodes: int = MAX_NODES):
    """``yaml.safe_load`` that first refuses alias bombs (YamlTooBig, a YAMLError with a line mark)."""
    expanded_size(text, max_nodes)
    return yaml.safe_load(text)


def compose(text: str, max_nodes: int = MAX_NODES) -> yaml.Node | None:
    """``yaml.compose`` (SafeLoader) that first refuses alias bombs, like :func:`safe_load`."""
    expanded_size(text, max_nodes)
    return yaml.compose(text, Loader=yaml.SafeLoader)


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
