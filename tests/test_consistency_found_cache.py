"""The persona check scans each candidate line against the deal vocabulary once: the result is remembered per
line, and forgotten when a team's newly ingested deals add to the vocabulary."""

from types import SimpleNamespace

import pytest

from coach.roleplay.consistency import Catalogue


def _deal(industry, products, competitors, chain):
    return SimpleNamespace(industry=industry, products=products, competitors=competitors, decision_chain=chain,
                           customer_title="")


@pytest.mark.parametrize("line,old,new,kind", [
    ("我们在用青禾CRM，还看了简拓SCRM", "青禾CRM", "简拓SCRM", "competitors"),
    ("We run Orchard Row and looked at Fresco Suite", "Orchard Row", "Fresco Suite", "competitors"),
])
def test_found_is_remembered_and_refreshed_when_deals_add_vocabulary(line, old, new, kind):
    cat = Catalogue()
    cat.add_deals([_deal("saas", ["客户管理系统"], [old], ["采购经理"])])
    assert cat.found(kind, line) == [old]
    scans = []
    cat._scan = lambda *a: scans.append(a) or []  # any further scan would be recorded
    assert cat.found(kind, line) == [old] and not scans  # remembered
    del cat._scan
    cat.add_deals([_deal("saas", [], [new], [])])
    assert sorted(cat.found(kind, line)) == sorted([old, new])  # the new vendor is seen, not a stale answer
