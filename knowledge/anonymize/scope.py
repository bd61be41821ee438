"""Consistent pseudonyms within one scope (one deal): the same person is [客户A] in every turn."""

from __future__ import annotations

import string

from knowledge.anonymize.models import LETTERED


def letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: enough letters for any deal."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = string.ascii_uppercase[rem] + out
    return out


class PseudonymScope:
    """Hands out stable lettered pseudonyms per kind, and links partial names to the full name.

    Kinds are separate letter spaces: "person" (the customer's side), "rep" (the sales side) and "company", so a
    rep's 小王 never shares a letter with the buyer 王秀英 however alike their surnames are.

    A partial name ("张总", "Mr. Smith", "John") shares the letter of the one full name it fits
    ("张伟", "John Smith"), whichever appears first; when several full names fit, it gets its own letter.
    `keep` holds surfaces never to mask (e.g. the deal's competitor names, which coaching needs).
    """

    def __init__(self, keep: set[str] | list[str] | tuple[str, ...] = ()) -> None:
        self.keep = {k.strip().lower() for k in keep if k and k.strip()}
        self._index: dict[tuple[str, str], int] = {}
        self._count: dict[str, int] = {}
        self._fulls_by_part: dict[tuple[str, str, str], list[str]] = {}
        self._alias_bound: dict[tuple[str, str, str], bool] = {}
        self.roles: dict[str, str] = {}  # a name's surface → "rep" or "customer", as the deal's turns showed it
        self.companies: set[str] = set()  # short names of the deal's companies (a bare 云帆 is that company)
        self.name_parts: dict[str, str] = {}  # lower-case first/last names of the deal's full English names

    def _new(self, kind: str) -> int:
        n = self._count.get(kind, 0)
        self._count[kind] = n + 1
        return n

    def index(self, kind: str, key: str, alias: tuple[str, str] | None = None,
              parts: list[tuple[str, str]] | None = None) -> int:
        """The letter index of `key`; `alias` names a partial name, `parts` the parts of a full one."""
        if alias is not None:
            akey = (kind, f"alias:{alias[0]}:{alias[1]}")
            if akey not in self._index:
                fulls = self._fulls_by_part.get((kind, *alias), [])
                if len(fulls) == 1:
                    self._index[akey] = self._index[(kind, fulls[0])]
                    self._alias_bound[(kind, *alias)] = True
                else:
                    self._index[akey] = self._new(kind)
                    self._alias_bound[(kind, *alias)] = False
            return self._index[akey]
        if (kind, key) not in self._index:
            idx = None
            for part in parts or []:
                if self._alias_bound.get((kind, *part)) is False and not self._fulls_by_part.get((kind, *part)):
                    idx = self._index[(kind, f"alias:{part[0]}:{part[1]}")]
                    self._alias_bound[(kind, *part)] = True
                    break
            self._index[(kind, key)] = self._new(kind) if idx is None else idx
            for part in parts or []:
                self._fulls_by_part.setdefault((kind, *part), []).append(key)
        return self._index[(kind, key)]

    def pseudonym(self, kind: str, key: str, lang: str, alias: tuple[str, str] | None = None,
                  parts: list[tuple[str, str]] | None = None) -> str:
        word = LETTERED[kind]["zh" if lang == "zh" else "en"]
        sep = "" if lang == "zh" else " "
        return f"[{word}{sep}{letters(self.index(kind, key, alias, parts))}]"
