"""Small word lists behind the name heuristics (no model download): given names, surnames, stop words."""

from __future__ import annotations

FIRST_NAMES = frozenset("""
aaron adam adrian ahmed aisha alan albert alex alexander alexandra alice alicia alison amanda amber amelia amir
amy andrea andrew angela anita ann anna anne anthony antonio arjun arthur ashley barbara ben benjamin beth betty
brandon brenda brian bruce bryan carl carla carlos carol caroline carter catherine charles charlie charlotte chen
chloe chris christina christine christopher claire cynthia daniel david deborah dennis diana diego donald donna
dorothy douglas dylan edward elena elizabeth ella emily emma eric ethan eugene evan fatima fiona francis gary
george gerald gloria greg gregory hannah harold harry heather helen henry howard ian isaac isabella jack jacob
james jane janet jason jean jeff jeffrey jennifer jeremy jerry jessica jim joan joe john jonathan jordan jose
joseph joshua joyce juan judith julia julie justin karen kate katherine kathleen kelly kenneth kevin kim kyle
larry laura lauren leo li liam linda lisa lucas lucy luis maria marie marilyn martha martin mary matthew megan
melissa michael michelle mike mohammed nancy natalie nathan nicholas nicole noah nora olivia oliver omar oscar
pamela patricia patrick paul peter philip priya rachel rahul rajesh ralph raymond rebecca richard robert roger
ronald ruth ryan samantha samuel sandra sara sarah scott sean sharon shirley sophia sophie stephanie stephen
steve steven susan tara teresa thomas tiffany timothy tom tony tyler valerie victoria vincent virginia walter
wayne wei william yuki zachary zoe ming lei jun hui ying xin yan hao yang fang jing ling kevin tracy cindy
vivian jenny jerry eddie andy amy sunny leon felix ivan olga sven hans klaus pierre marco luca giulia sofia
""".split())

# Given names that are also everyday words: never accepted on their own, only with a surname or title.
AMBIGUOUS_FIRST = frozenset("will may june april grace mark bill frank rose hope faith chase sunny hunter "
                            "carter jordan jack jean art pat joy max dawn summer".split())

SURNAMES = frozenset("""
smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson
anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez clark ramirez lewis robinson
walker young allen king wright scott torres nguyen hill flores green adams nelson baker hall rivera campbell
mitchell carter roberts turner phillips parker evans edwards collins stewart morris murphy cook rogers morgan
peterson cooper reed bailey bell kelly howard ward cox richardson wood watson brooks bennett gray james hughes
price sanders myers long ross foster powell jenkins perry russell sullivan fisher henderson coleman patterson
jordan reynolds hamilton graham wallace west cole hayes bryant gibson ellis stevens murray ford marshall owens
mcdonald harrison kennedy wells chavez patel shah kumar singh khan ali becker muller schmidt schneider fischer
weber rossi ferrari bianchi dubois moreau tanaka suzuki sato kim park choi wang zhang liu chen yang huang zhao
wu zhou xu sun ma zhu hu guo he lin gao luo zheng liang xie song tang han feng deng cao peng zeng xiao tian dong
pan yuan cai jiang yu du ye cheng wei su lu ding ren shen yao lu jiang cui zhong tan wong chan leung ho ng
o'brien o'neil anderson lambert fleming harper dunn
""".split())

# Capitalised words that start sentences or name things other than people.
STOP_WORDS = frozenset("""
a an the i we you he she they it our your my his her their this that these those there here hi hello hey dear
thanks thank regards best kind sincerely cheers ok okay yes no not and or but so if when then also just please
sorry great good well sure right let lets let's can could would should will shall may might must do does did
is are was were be been am have has had what who why how where which monday tuesday wednesday thursday friday
saturday sunday january february march april may june july august september october november december today
tomorrow yesterday morning afternoon evening q1 q2 q3 q4 ceo cfo cto coo cio vp svp evp hr it pr ai api crm
erp saas sla roi poc kpi pm sales marketing finance procurement legal operations support customer success
product manager director head lead team department board committee group company corp corporation inc ltd llc
co limited gmbh plc holdings technologies technology solutions systems services software cloud global
international partners consulting enterprise enterprises industries labs network networks bank capital
street st avenue ave road rd boulevard blvd lane drive way court place parkway suite floor building tower
north south east west new old united states kingdom america american china chinese english european asia
york london paris berlin tokyo beijing shanghai shenzhen hong kong singapore san francisco los angeles
chicago boston seattle austin texas california washington mountain view palo alto city county state
annual monthly plan pricing price budget contract proposal demo meeting call email phone office account
premium standard basic pro plus enterprise edition version release update order invoice quote discount
mr mrs ms miss dr prof sir madam mx via re fw fwd per from to for with about after before during since
one two three four five first second third next last other another every each all some any many more most
welcome congratulations happy merry christmas easter day week month year quarter time zoom teams slack
google microsoft amazon apple oracle salesforce hubspot sap ibm meta tesla alibaba tencent huawei baidu
wechat whatsapp linkedin excel word powerpoint outlook gmail iphone android windows
""".split())

TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Mx", "Sir", "Madam", "Mister", "Professor", "Doctor")

# Chinese surnames (single and compound) for 张总 / 李经理 / 王老师-style references.
ZH_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
ZH_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "夏侯", "长孙", "宇文", "司徒", "端木")
ZH_HONORIFICS = (
    "总经理", "董事长", "总监", "总工", "经理", "老师", "院长", "主任", "局长", "处长", "科长", "部长", "书记",
    "行长", "校长", "厂长", "所长", "秘书", "律师", "医生", "大夫", "教授", "博士", "先生", "女士", "小姐",
    "老板", "会计", "总", "董", "工", "姐", "哥", "sir",
)
# Words after a surname+总 that make it not a title: 对方总是, 王总部 is still rare but 总部/总体 are common.
ZH_NOT_TITLE_AFTER = ("是", "有", "算", "得", "要", "会", "之", "的", "共", "计", "体", "部", "额", "价", "数",
                      "量", "结", "包", "成本", "费用", "预算", "投入", "觉得", "能", "在", "不")
