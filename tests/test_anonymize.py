"""Anonymizer: each PII kind in Chinese and English, stable pseudonyms per deal, placeholders kept."""

from __future__ import annotations

import pytest

from knowledge.anonymize import Anonymizer, MaskResult, PseudonymScope, get_anonymizer
from knowledge.records import DealRecord, Turn


@pytest.fixture(scope="module")
def anon() -> Anonymizer:
    return Anonymizer(mask_amounts=True)


def kinds(result: MaskResult) -> dict[str, str]:
    return {e.text: e.kind for e in result.entities}


@pytest.mark.parametrize(
    ("text", "secret", "kind", "label"),
    [
        ("手机13812345678找我", "13812345678", "phone", "[电话]"),
        ("电话 138-1234-5678 或 138 1234 5678", "138-1234-5678", "phone", "[电话]"),
        ("打 +86 139 0000 1111", "+86 139 0000 1111", "phone", "[电话]"),
        ("座机010-12345678，深圳0755-1234567", "0755-1234567", "phone", "[电话]"),
        ("Call +1 415 555 0100 today", "+1 415 555 0100", "phone", "[PHONE]"),
        ("or (212) 555-0199 after 5", "(212) 555-0199", "phone", "[PHONE]"),
        ("邮箱li.ming@163.com，谢谢", "li.ming@163.com", "email", "[邮箱]"),
        ("mail j.carter+crm@acme.co.uk please", "j.carter+crm@acme.co.uk", "email", "[EMAIL]"),
        ("身份证号11010519491231002X", "11010519491231002X", "id_card", "[身份证]"),
        ("My ID 110101199003074518.", "110101199003074518", "id_card", "[ID]"),
        ("卡号6222021234567890123", "6222021234567890123", "bank_card", "[银行卡]"),
        ("card 4367 4212 3456 7890 please", "4367 4212 3456 7890", "bank_card", "[BANK_CARD]"),
        ("寄到上海市浦东新区张江路88号3号楼502室，谢谢", "上海市浦东新区张江路88号3号楼502室", "address", "[地址]"),
        ("Ship to 1600 Amphitheatre Parkway, Mountain View, CA 94043.", "1600 Amphitheatre Parkway, Mountain View, CA 94043", "address", "[ADDRESS]"),
        ("微信号：zhang_wei88，加一下", "zhang_wei88", "wechat", "[微信]"),
        ("WeChat: david_wu88", "david_wu88", "wechat", "[WECHAT]"),
        ("资料见https://acme.com/pricing?x=1。", "https://acme.com/pricing?x=1", "url", "[网址]"),
        ("see www.globex.com/contact.", "www.globex.com/contact", "url", "[URL]"),
        ("车牌京A12345停楼下", "京A12345", "plate", "[车牌]"),
        ("新能源车粤B·D12345", "粤B·D12345", "plate", "[车牌]"),
        ("预算大概50万，最多120万元", "50万", "amount", "[金额]"),
        ("Budget is $120,000 this year", "$120,000", "amount", "[AMOUNT]"),
    ],
)
def test_each_kind_is_masked(anon, text, secret, kind, label):
    result = anon.mask(text)
    assert kinds(result).get(secret) == kind, result.entities
    assert secret not in result.text
    assert label in result.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("张总您好，我是华为技术有限公司的李明。", "[客户A]总您好，我是[公司A]的[客户B]。"),
        ("李经理和王老师都同意了，刘院长还在看。", "[客户A]经理和[客户B]老师都同意了，[客户C]院长还在看。"),
        ("Mr. Smith from Acme Corp. met John Carter.", "Mr. [Person A] from [Company A] met [Person B]."),
        ("We signed with Globex Inc. and Initech LLC.", "We signed with [Company A] and [Company B]."),
    ],
)
def test_names_and_companies_keep_honorifics(anon, text, expected):
    assert anon.mask(text).text == expected


@pytest.mark.parametrize(
    "text",
    ["对方总是拖着不回复，采购部也没给时间表。", "我们总部在上海，流程要两个月。",
     "Thank you for the demo on Monday. The Product Manager liked it.", "We met in New York in March."],
)
def test_ordinary_text_is_left_alone(anon, text):
    assert anon.mask(text).entities == []


def test_amounts_only_when_asked():
    assert "50万" in Anonymizer(mask_amounts=False).mask("预算50万，电话13812345678").text
    assert "$120,000" in Anonymizer().mask("Budget is $120,000").text


def test_placeholders_survive(anon):
    text = "[PERSON_NAME]说[客户A]同意了，<PHONE> 已发，[Person B] said OK, 【姓名】再联系"
    result = anon.mask(text)
    assert result.text == text
    assert result.entities == []
    # masking twice changes nothing more
    once = anon.mask("张总电话13812345678，邮箱a.b@qq.com").text
    assert anon.mask(once).text == once


def test_same_person_same_pseudonym_across_turns(anon):
    scope = PseudonymScope()
    first = anon.mask("张伟：您好，我是采购负责人。", scope).text
    second = anon.mask("好的张总，我把方案发您，李经理也抄送。", scope).text
    third = anon.mask("张伟说下周再定。", scope).text
    assert first.startswith("[客户A]")
    assert "[客户A]总" in second and "[客户B]经理" in second
    assert third.startswith("[客户A]")
    en = PseudonymScope()
    assert anon.mask("Mr. Carter will decide.", en).text == "Mr. [Person A] will decide."
    assert anon.mask("John Carter agreed; Sarah Lee did not.", en).text == "[Person A] agreed; [Person B] did not."


def test_anonymize_deal_masks_turns_and_fields(anon):
    record = DealRecord(
        deal_id="d1", lang="zh", competitors=["纷享销客"], decision_chain=["张总(CEO)", "财务李经理"],
        customer_title="张总", amount=123456.0,
        turns=[
            Turn(speaker="customer", text="我是张总，手机13812345678，我们现在用纷享销客。"),
            Turn(speaker="rep", text="张总好，我是王芳，方案发到zhang@corp.cn。"),
        ],
    )
    out = anon.anonymize_deal(record)
    assert out is not record and record.turns[0].text.startswith("我是张总")
    assert out.turns[0].text == "我是[客户A]总，手机[电话]，我们现在用纷享销客。"
    assert out.turns[1].text == "[客户A]总好，我是[销售A]，方案发到[邮箱]。"  # the rep introducing herself
    assert out.decision_chain == ["[客户A]总(CEO)", "财务[客户B]经理"]  # the rep has her own letters
    assert out.customer_title == "[客户A]总"
    assert out.amount == 120000.0
    assert [t.speaker for t in out.turns] == ["customer", "rep"]


def test_anonymize_deal_english(anon):
    record = DealRecord(deal_id="e1", lang="en", turns=[
        Turn(speaker="customer", text="I'm Laura Miller at Northwind Traders Ltd., call 415-555-0142."),
        Turn(speaker="rep", text="Thanks Laura, I'll email laura@northwind.com."),
    ])
    out = Anonymizer().anonymize_deal(record)
    assert out.turns[0].text == "I'm [Person A] at [Company A], call [PHONE]."
    assert out.turns[1].text == "Thanks [Person A], I'll email [EMAIL]."


def test_injected_tagger_is_used_and_ner_can_be_off():
    calls = []

    def fake(text):
        calls.append(text)
        return [("甲乙丙", "PER"), ("来了", "v")]

    assert Anonymizer(tagger=fake).mask("甲乙丙来了").text == "[客户A]来了"
    assert calls == ["甲乙丙来了"]
    assert Anonymizer(use_ner=False).mask("王经理电话13812345678").text == "[客户A]经理电话[电话]"
    assert Anonymizer(tagger=fake).mask("English only text.").entities == [] and len(calls) == 1


def test_get_anonymizer_is_cached():
    assert get_anonymizer() is get_anonymizer()
    assert get_anonymizer(mask_amounts=True).mask_amounts


def test_wechat_with_id_word_between(anon):
    assert anon.mask("Add me on WeChat, ID anna_de01, thanks").text == "Add me on WeChat, ID [WECHAT], thanks"
    assert anon.mask("我的微信 ID：lily2020").text == "我的微信 ID：[微信]"
