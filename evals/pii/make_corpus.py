"""Writes the planted-PII corpus (data/dev.jsonl, data/heldout.jsonl) from templates and value pools.

Dev and held-out use disjoint templates and disjoint value pools, so the held-out split measures
formats and names the rules were not tuned on. Re-running with the same seed rewrites identical files.
Run: python -m evals.pii.make_corpus
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"


def id_card(rng: random.Random, x: bool = False) -> str:
    while True:
        body = f"{rng.choice(['110101', '310104', '440305', '330106', '510107', '320102'])}" \
               f"{rng.randint(1960, 2003)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        check = "10X98765432"[sum(int(c) * k for c, k in zip(body, w, strict=True)) % 11]
        if (check == "X") == x:
            return body + check


def luhn_card(rng: random.Random, n: int, prefix: str) -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(n - len(prefix) - 1))
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def group4(s: str, sep: str = " ") -> str:
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


def mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "18", "17", "19"]) + str(rng.randint(0, 9)) + f"{rng.randint(0, 99999999):08d}"


def values(rng: random.Random, split: str) -> dict:
    """One random value per slot, from the split's own pools."""
    dev = split == "dev"
    m = mobile(rng)
    zh_given = ["伟", "芳", "明", "晓东", "静", "志强", "丽娟", "建国"] if dev else ["子涵", "浩然", "雪梅", "立新", "慧敏", "国栋", "婷", "晨阳"]
    zh_sur = ["张", "李", "王", "刘", "陈", "欧阳"] if dev else ["赵", "孙", "周", "吴", "郑", "司马", "黄", "何"]
    hon = ["总", "经理", "老师", "院长"] if dev else ["主任", "总监", "局长", "处长", "女士", "先生"]
    en_first = ["John", "Sarah", "Michael", "Emily", "David", "Laura"] if dev else ["Kevin", "Rachel", "Thomas", "Olivia", "Daniel", "Priya"]
    en_last = ["Carter", "Smith", "Johnson", "Miller", "Nguyen", "Patel"] if dev else ["Walker", "Bennett", "Foster", "Hughes", "Zhang", "Coleman"]
    co_zh = ["华为技术有限公司", "蓝海科技", "鼎盛集团", "恒达建材股份有限公司", "深圳市云帆信息技术有限公司"] if dev else \
        ["杭州数澜网络科技有限公司", "金石控股集团", "星河医疗器械股份有限公司", "北辰科技", "上海悦享贸易有限公司"]
    co_en = ["Acme Corp.", "Globex Inc.", "Northwind Traders Ltd.", "Initech LLC"] if dev else \
        ["Umbrella Holdings Ltd.", "Stark Industries Inc.", "Blue Harbor Technologies LLC", "Pioneer Foods Co."]
    addr_zh = ["上海市浦东新区张江路88号3号楼502室", "北京市海淀区中关村大街27号", "广东省深圳市南山区科技园南路18号"] if dev else \
        ["浙江省杭州市西湖区文三路478号", "四川省成都市武侯区天府大道中段666号", "江苏省南京市鼓楼区中山北路30号1栋"]
    addr_en = ["1600 Amphitheatre Parkway, Mountain View, CA 94043", "221 Baker Street, London", "350 Fifth Avenue, Suite 3300"] if dev else \
        ["77 Massachusetts Avenue, Cambridge, MA 02139", "10 Downing Street", "4059 Mt Lee Drive, Hollywood, CA 90068"]
    sur, given, en_f, en_l = rng.choice(zh_sur), rng.choice(zh_given), rng.choice(en_first), rng.choice(en_last)
    phone_zh = [m, f"{m[:3]}-{m[3:7]}-{m[7:]}", f"{m[:3]} {m[3:7]} {m[7:]}", f"+86 {m}", f"+86-{m[:3]}-{m[3:7]}-{m[7:]}"] if dev else \
        [f"(+86){m}", f"0086 {m}", f"{m[:3]} {m[3:7]}{m[7:]}", f"0{rng.choice(['21', '10', '571'])}-{rng.randint(2000000, 89999999)}",
         f"(0755){rng.randint(20000000, 89999999)}"]
    land = f"{rng.choice(['010', '021', '0755', '0571'])}-{rng.randint(20000000, 89999999)}" if dev else f"0{rng.choice(['28', '25', '512'])} {rng.randint(2000, 8999)} {rng.randint(1000, 9999)}"
    n = rng.randint(2000000, 9999999)
    phone_en = [f"+1 415 555 {rng.randint(100, 999):04d}", f"(212) 555-{rng.randint(100, 999):04d}", f"415-555-{rng.randint(100, 999):04d}"] if dev else \
        [f"+44 20 7946 {rng.randint(1000, 9999)}", f"+1-646-555-{rng.randint(1000, 9999)}", f"+65 6{str(n)[:3]} {str(n)[3:7]}", f"617.555.{rng.randint(1000, 9999)}"]
    card = luhn_card(rng, rng.choice([16, 19]), rng.choice(["6222", "6217", "4367", "6228"]))
    card_fmt = [card, group4(card)] if dev else [group4(card, "-"), group4(card)]
    user = rng.choice(["zhangwei", "sales.lead", "li_ming88", "j.carter", "emily"] if dev else ["kevin.w", "zhou_zihan", "procurement", "r.bennett+crm", "hr-team"])
    dom = rng.choice(["qq.com", "163.com", "acme.com", "example.cn"] if dev else ["gmail.com", "foxmail.com", "stark-ind.co.uk", "shuwan.com.cn"])
    wx = rng.choice(["zhang_wei88", "lily2020", "Tom-Sales01"] if dev else ["sunhao_1990", "wx_rachel", "Bennett-CRM"])
    url = rng.choice(["https://acme.com/pricing", "http://www.lanhai-tech.cn/demo?id=3", "www.globex.com/contact"] if dev else
                     ["https://shuwan.com.cn/case/42", "http://crm.stark-ind.co.uk/login", "www.beichen.tech"])
    plate = rng.choice(["京A12345", "沪B8K321", "粤B·D12345"] if dev else ["浙A·F67890", "川A9M876", "苏E12D34"])
    amount_zh = rng.choice(["50万", "120万元", "3万块", "9800元"] if dev else ["35万元", "两百万", "18,000元", "6.5万"])
    amount_en = rng.choice(["$120,000", "USD 45,000", "50k dollars"] if dev else ["$2.4 million", "€30,000", "80,000 USD"])
    return {
        "zh_full": sur + given, "zh_hon": sur + rng.choice(hon), "en_full": f"{en_f} {en_l}",
        "en_title": f"{rng.choice(['Mr.', 'Ms.', 'Dr.'] if dev else ['Mrs.', 'Prof.', 'Mr', 'Ms'])} {en_l}",
        "co_zh": rng.choice(co_zh), "co_en": rng.choice(co_en), "phone_zh": rng.choice(phone_zh),
        "land": land, "phone_en": rng.choice(phone_en), "email": f"{user}@{dom}",
        "id": id_card(rng, x=rng.random() < 0.3), "card": rng.choice(card_fmt), "addr_zh": rng.choice(addr_zh),
        "addr_en": rng.choice(addr_en), "wx": wx, "url": url, "plate": plate, "amt_zh": amount_zh, "amt_en": amount_en,
    }


KIND = {"zh_full": "person", "zh_hon": "person", "en_full": "person", "en_title": "person", "co_zh": "company",
        "co_en": "company", "phone_zh": "phone", "land": "phone", "phone_en": "phone", "email": "email",
        "id": "id_card", "card": "bank_card", "addr_zh": "address", "addr_en": "address", "wx": "wechat",
        "url": "url", "plate": "plate", "amt_zh": "amount", "amt_en": "amount"}

TEMPLATES = {
    "dev": [
        ("zh", "{zh_hon}您好，我是{co_zh}的销售，上次跟您约过演示。"),
        ("zh", "联系人：{zh_full}，手机{phone_zh}，有事直接打。"),
        ("zh", "麻烦把合同寄到{addr_zh}，收件人{zh_full}。"),
        ("zh", "{zh_hon}说预算只有{amt_zh}，还得跟{co_zh}再比一比。"),
        ("zh", "我的身份证号是{id}，开户行卡号{card}。"),
        ("zh", "加我微信号：{wx}，或者发邮件到{email}。"),
        ("zh", "资料在{url}，看完给{zh_hon}回个话。"),
        ("zh", "我开车过去，车牌{plate}，停在{addr_zh}楼下。"),
        ("zh", "座机{land}转前台，找{zh_full}就行。"),
        ("zh", "好的{zh_hon}，那周四下午三点见，我们的产品经理也会来。"),
        ("en", "Hi, this is {en_full} from {co_en}; you can reach me at {phone_en}."),
        ("en", "{en_title} asked us to send the proposal to {email} before Friday."),
        ("en", "Please ship the samples to {addr_en}, attention {en_full}."),
        ("en", "Our budget is capped at {amt_en} this year, {en_title} said."),
        ("en", "The deck is at {url} and my WeChat: {wx}."),
        ("en", "Card number {card} was declined, can {en_full} call {phone_en}?"),
        ("en", "We are comparing {co_en} with two other vendors."),
        ("zh", "我们老板{zh_full}觉得价格偏高，{co_zh}那边报得更低。"),
        ("zh", "对方总是拖着不回复，采购部也没给时间表。"),
        ("en", "Thank you for the demo on Monday. The Product Manager liked the reporting module."),
    ],
    "heldout": [
        ("zh", "喂，是{zh_hon}吗？我这边是{co_zh}，想跟您确认一下交付时间。"),
        ("zh", "{zh_full}的电话是{phone_zh}，你晚上八点以后再打。"),
        ("zh", "发票抬头写{co_zh}，邮寄地址{addr_zh}。"),
        ("zh", "报价{amt_zh}我们接受不了，{zh_hon}要求再降点。"),
        ("zh", "实名登记需要身份证{id}，打款请用尾号这张卡：{card}。"),
        ("zh", "vx：{wx}，备注公司名，邮箱是{email}。"),
        ("zh", "案例都在{url}上，{zh_full}看过了。"),
        ("zh", "来访车辆{plate}已登记，访客{zh_full}。"),
        ("zh", "办公室电话{land}，找{zh_hon}。"),
        ("zh", "上次开会{zh_hon}和{zh_full}都在，结论是下个季度再议。"),
        ("en", "{en_title} from {co_en} will join the call; his direct line is {phone_en}."),
        ("en", "Send the signed copy to {email} and cc {en_full}."),
        ("en", "Our new office is at {addr_en}; ask for {en_title} at reception."),
        ("en", "They quoted {amt_en}, which {en_full} thinks is too steep."),
        ("en", "Add me on WeChat {wx} or check {url} for the case study."),
        ("en", "Refund to card {card} please; contact {en_full} at {phone_en} if there is an issue."),
        ("en", "{co_en} has been our supplier since 2019."),
        ("zh", "跟{en_full}约的是周三，他们用的是{co_en}的系统。"),
        ("zh", "我们总部在上海，采购流程一般要走两个月。"),
        ("en", "Best regards, the Customer Success team at our New York office."),
    ],
}


def fill(template: str, vals: dict) -> tuple[str, list[dict]]:
    out, spans, pos = "", [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        out += template[pos:m.start()]
        value = vals[m.group(1)]
        spans.append({"kind": KIND[m.group(1)], "start": len(out), "end": len(out) + len(value), "text": value})
        out += value
        pos = m.end()
    return out + template[pos:], spans


def build(split: str, per_template: int = 5, seed: int = 7) -> list[dict]:
    rng = random.Random(f"{seed}-{split}")
    rows = []
    for rep in range(per_template):
        for i, (lang, template) in enumerate(TEMPLATES[split]):
            text, spans = fill(template, values(rng, split))
            rows.append({"id": f"{split}-{i:02d}-{rep}", "lang": lang, "text": text, "spans": spans})
    return rows


def main() -> None:
    DATA.mkdir(exist_ok=True)
    for split in TEMPLATES:
        rows = build(split)
        with open(DATA / f"{split}.jsonl", "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{split}: {len(rows)} lines")


if __name__ == "__main__":
    main()
