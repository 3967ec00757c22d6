"""The demo portfolio as ``ppp-bundle/1`` documents (see shared spec ``bundle-format.md``).

Pure data and arithmetic: no Django, no I/O, no wall clock. ``demo_bundles(today)`` is a
function of its argument only; every random draw comes from a ``random.Random`` seeded with a
fixed string, so the same ``today`` always yields the same bundles. Measurements are seeded
per (contract, period), so a given period's numbers do not change when ``today`` moves on.

Exposes ``CITIES``, ``DEMO_USERS``, ``AUDITOR_PARTY`` and ``demo_bundles``.
"""

from __future__ import annotations

import calendar
import copy
import datetime
import random
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from contracts.periods import period_bounds, period_label, period_labels_between
from portfolio.credit_codes import CHARSET, check_character
from portfolio.demo_telemetry import telemetry_kpi

SEED = "ppp-demo/1"

# --- 统一社会信用代码 (GB 32100-2015) -------------------------------------------------

# 主体标识码 of organisations that also appear in the shared spec examples, so that importing
# an example and the demo yields one party, not two with the same name.
KNOWN_ORG_IDS = {"长沙市数据资源管理局": "MB1A2B3C4"}


def _org_code(kind_prefix: str, region: str, name: str) -> str:
    # 登记管理部门码+机构类别码, 行政区划码, then a 9-character 主体标识码 derived from the name
    # (new registrations start "MA" for companies, "MB" for 机关/事业单位), so one name always
    # gets one code.
    rng = random.Random(f"{SEED}:org:{name}")
    random_id = ("MA" if kind_prefix == "91" else "MB") + "".join(
        rng.choice(CHARSET) for _ in range(7)
    )
    first17 = kind_prefix + region + KNOWN_ORG_IDS.get(name, random_id)
    return first17 + check_character(first17)


# --- Cities -----------------------------------------------------------------------------

# name, name_en, province, 行政区划码,
# 一般公共预算支出 2024–2027 in 亿元 (2024 roughly the final accounts, later years budgets).
_CITY_TABLE = [
    ("北京", "Beijing", "北京市", "110000", ("8153.6", "8296.4", "8412.0", "8545.5")),
    ("上海", "Shanghai", "上海市", "310000", ("9621.8", "9745.1", "9868.0", "10012.3")),
    ("广州", "Guangzhou", "广东省", "440100", ("3034.6", "3062.9", "3105.4", "3158.0")),
    ("深圳", "Shenzhen", "广东省", "440300", ("4887.5", "4932.0", "5010.7", "5086.2")),
    ("长沙", "Changsha", "湖南省", "430100", ("1296.4", "1318.7", "1342.1", "1369.8")),
    ("佛山", "Foshan", "广东省", "440600", ("892.7", "905.3", "918.6", "931.0")),
    ("重庆", "Chongqing", "重庆市", "500000", ("5042.7", "5118.3", "5196.0", "5274.4")),
    ("成都", "Chengdu", "四川省", "510100", ("2391.8", "2436.5", "2480.2", "2527.9")),
    ("武汉", "Wuhan", "湖北省", "420100", ("2108.3", "2139.6", "2172.8", "2203.5")),
    ("青岛", "Qingdao", "山东省", "370200", ("1602.5", "1621.4", "1648.9", "1673.2")),
]

_YI = Decimal(100_000_000)  # 1 亿元
_CENTS = Decimal("0.01")

CITIES: list[dict] = [
    {
        "name": name,
        "name_en": name_en,
        "province": province,
        "region_code": region,
        "budget_expenditure": {
            year: (Decimal(yi) * _YI).quantize(_CENTS)
            for year, yi in zip((2024, 2025, 2026, 2027), budgets, strict=True)
        },
    }
    for name, name_en, province, region, budgets in _CITY_TABLE
]

_REGION = {row[0]: row[3] for row in _CITY_TABLE}

# --- Parties ----------------------------------------------------------------------------

# Enterprise parties: key -> (name, home city, quality). Quality shifts measurements: > 0
# beats targets more often. "A" and "B" are the demo users' companies; B is a bit weaker so
# the two companies' dashboards look different.
COMPANIES = {
    "A": ("湖南智联城市网络服务有限公司", "长沙", Decimal("0.4")),
    "B": ("中城数智科技有限公司", "北京", Decimal("-0.4")),
    "FS-WLAN": ("佛山禅城智联网络科技有限公司", "佛山", Decimal("0.0")),
    "BJ-PARK": ("北京静态交通智慧停车运营有限公司", "北京", Decimal("0.2")),
    "BJ-WATER": ("北京京水智测科技有限公司", "北京", Decimal("0.3")),
    "SH-WLAN": ("上海城市无线网络运营有限公司", "上海", Decimal("0.5")),
    "SH-PAY": ("上海公交智付科技有限公司", "上海", Decimal("0.3")),
    "GZ-PARK": ("广州城市智慧停车发展有限公司", "广州", Decimal("-0.1")),
    "GZ-GOV": ("广州穗政通数字科技有限公司", "广州", Decimal("0.2")),
    "SZ-PAY": ("深圳智慧出行支付科技有限公司", "深圳", Decimal("0.6")),
    "SZ-WLAN": ("深圳市智城无线网络有限公司", "深圳", Decimal("0.1")),
    "CQ-WATER": ("重庆渝水智慧物联有限公司", "重庆", Decimal("-0.2")),
    "CD-PAY": ("成都天府智行支付科技有限公司", "成都", Decimal("0.0")),
    "WH-GOV": ("武汉江城数字政务运营有限公司", "武汉", Decimal("0.1")),
    "WH-WATER": ("武汉长江智慧水务有限公司", "武汉", Decimal("-0.3")),
    "QD-PARK": ("青岛海湾智慧停车有限公司", "青岛", Decimal("-0.1")),
}

PREPARER_AGENCY = "长沙市数据资源管理局"

# The auditor's organisation evaluates contracts but is a party to none of them.
AUDITOR_PARTY = {
    "kind": "auditor",
    "name": "长沙市财政局绩效评价中心",
    "credit_code": _org_code("12", _REGION["长沙"], "长沙市财政局绩效评价中心"),
}

# first_name holds the whole name, family name first: Django's get_full_name() joins
# "first last" with a space, which would print a Chinese name backwards (晓峰 刘).
DEMO_USERS: list[dict] = [
    {"username": "gov_preparer", "role": "preparer", "party_name": PREPARER_AGENCY,
     "first_name": "刘晓峰", "email": "liu.xiaofeng@sjj.changsha.gov.example"},
    {"username": "gov_approver", "role": "approver", "party_name": PREPARER_AGENCY,
     "first_name": "陈静", "email": "chen.jing@sjj.changsha.gov.example"},
    {"username": "enterprise_a", "role": "enterprise", "party_name": COMPANIES["A"][0],
     "first_name": "张伟", "email": "zhang.wei@hnzl.example"},
    {"username": "enterprise_b", "role": "enterprise", "party_name": COMPANIES["B"][0],
     "first_name": "李娜", "email": "li.na@zcsk.example"},
    {"username": "auditor", "role": "auditor", "party_name": AUDITOR_PARTY["name"],
     "first_name": "周敏", "email": "zhou.min@jxpj.changsha.gov.example"},
]  # fmt: skip

# --- KPI templates per sector -----------------------------------------------------------
# Each sector's set adds up to 100 points and uses the rules a real 绩效考核办法 would:
# stepped deductions for service levels, thresholds for pass/fail duties, proportional
# scales for continuous measures, manual points for management items. The last argument of
# each row is the measurement generator's noise (one standard deviation, in the KPI's unit);
# its decimal places are the places of the generated values. It is stripped from bundles.

_DIMENSIONS = {"OUT": "output", "EFF": "effect", "MGT": "management"}


def _kpi(code, name, unit, rule, max_points, **fields):
    kpi = {"code": code, "name": name, "dimension": _DIMENSIONS[code[:3]], "unit": unit}
    for key in ("direction", "target", "floor"):
        if key in fields:
            kpi[key] = fields.pop(key)
    return {**kpi, "max_points": str(max_points), "rule": rule, **fields}


def _step(code, name, unit, pts, direction, target, step, per_step, noise, partial=None):
    kwargs = {"direction": direction, "target": target, "step": step, "points_per_step": per_step}
    if partial:
        kwargs["partial_step"] = partial
    return _kpi(code, name, unit, "deduct_per_step", pts, **kwargs, _noise=noise)


def _prop(code, name, unit, pts, direction, target, floor, noise):
    kwargs = {"direction": direction, "target": target, "floor": floor, "_noise": noise}
    return _kpi(code, name, unit, "proportional", pts, **kwargs)


def _thr(code, name, unit, pts, direction, target, noise):
    kwargs = {"direction": direction, "target": target, "_noise": noise}
    return _kpi(code, name, unit, "threshold", pts, **kwargs)


def _manual(code, name, pts):
    return _kpi(code, name, "分", "manual", pts)


HI, LO = "higher", "lower"

SECTOR_KPIS = {
    "public_wifi": [
        _step("OUT-1", "公共WiFi网络可用率", "%", 25, HI, "99.0", "0.1", "2", "0.30"),
        _prop("OUT-2", "平均接入速率", "Mbps", 15, HI, "20", "10", "3.0"),
        _thr("OUT-3", "用户认证成功率", "%", 10, HI, "98", "0.6"),
        _step("OUT-4", "一级故障2小时内响应率", "%", 10, HI, "95", "1", "1", "2.5"),
        _step("EFF-1", "市民满意度", "分", 15, HI, "85", "1", "1", "3.0"),
        _step("EFF-2", "投诉按时办结率", "%", 10, HI, "98", "1", "2", "1.2"),
        _manual("MGT-1", "网络与数据安全管理", 5),
        _manual("MGT-2", "运营报告按时报送", 5),
        _manual("MGT-3", "档案与信息公开", 5),
    ],
    "flood_monitoring": [
        _step("OUT-1", "内涝监测站点在线率", "%", 25, HI, "98", "0.5", "2", "0.9"),
        _thr("OUT-2", "积水预警发布及时率", "%", 15, HI, "95", "2.0"),
        _prop("OUT-3", "监测数据上报延迟", "秒", 20, LO, "60", "300", "40"),
        _step("OUT-4", "积水深度监测误差", "厘米", 10, LO, "2", "0.5", "2", "0.5", "exact"),
        _step("EFF-1", "市民满意度", "分", 15, HI, "88", "1", "1", "3"),
        _manual("MGT-1", "运维管理与档案", 10),
        _manual("MGT-2", "汛期应急值守", 5),
    ],
    "smart_parking": [
        _step("OUT-1", "泊位识别准确率", "%", 20, HI, "98", "0.5", "2", "0.8"),
        _prop("OUT-2", "诱导屏数据准确率", "%", 15, HI, "95", "85", "2.5"),
        _thr("OUT-3", "停车管理平台可用率", "%", 15, HI, "99.5", "0.30"),
        _step("OUT-4", "设备故障修复及时率", "%", 10, HI, "95", "1", "1", "2.5", "floor"),
        _prop("EFF-1", "收费差错投诉率", "件/万笔", 10, LO, "1.0", "5.0", "0.80"),
        _step("EFF-2", "市民满意度", "分", 15, HI, "85", "1", "1", "3.0"),
        _manual("MGT-1", "收费资金监管与对账", 10),
        _manual("MGT-2", "数据安全与档案管理", 5),
    ],
    "transit_payment": [
        _step("OUT-1", "移动支付交易成功率", "%", 25, HI, "99.90", "0.05", "2", "0.06"),
        _thr("OUT-2", "清分结算及时率", "%", 15, HI, "99.5", "0.40"),
        _prop("OUT-3", "平均交易时长", "毫秒", 15, LO, "300", "800", "90"),
        _step("OUT-4", "支付系统可用率", "%", 15, HI, "99.9", "0.1", "3", "0.08"),
        _step("EFF-1", "乘客满意度", "分", 15, HI, "85", "1", "1", "3.0"),
        _manual("MGT-1", "资金清算合规与对账", 10),
        _manual("MGT-2", "信息安全等级保护", 5),
    ],
    "data_platform": [
        _step("OUT-1", "平台可用率", "%", 20, HI, "99.5", "0.1", "2", "0.25"),
        _prop("OUT-2", "数据共享接口响应时间", "毫秒", 15, LO, "200", "1000", "120"),
        _step("OUT-3", "数据质量合格率", "%", 15, HI, "98", "0.5", "2", "0.8"),
        _thr("OUT-4", "数据归集按时完成率", "%", 10, HI, "95", "2.5"),
        _prop("EFF-1", "部门数据共享需求满足率", "%", 15, HI, "90", "60", "5.0"),
        _step("EFF-2", "使用部门满意度", "分", 10, HI, "85", "1", "1", "3.0"),
        _manual("MGT-1", "数据安全管理", 10),
        _manual("MGT-2", "运维文档与报告", 5),
    ],
    "e_government": [
        _step("OUT-1", "系统可用率", "%", 20, HI, "99.5", "0.1", "2", "0.25"),
        _prop("OUT-2", "政务服务事项网办率", "%", 20, HI, "90", "70", "5.0"),
        _thr("OUT-3", "页面平均响应时间", "秒", 10, LO, "2.0", "0.4"),
        _step("OUT-4", "版本迭代按期上线率", "%", 10, HI, "95", "5", "2", "6", "floor"),
        _step("EFF-1", "用户满意度", "分", 20, HI, "90", "0.5", "1", "2.5", "exact"),
        _step("EFF-2", "差评按时整改率", "%", 10, HI, "98", "1", "1", "1.5"),
        _manual("MGT-1", "个人信息保护与安全管理", 10),
    ],
}

# --- Payment coefficients ---------------------------------------------------------------

COEFFICIENTS = {
    "p90": {"type": "proportional", "full_at": "90"},
    "p100": {"type": "proportional", "full_at": "100"},
    # as in the 佛山 example: full pay from 80 points, 2% per point between 60 and 80
    "steps": {
        "type": "steps",
        "score_rounding": "exact",
        "bands": [
            {"min": "80", "base": "1.00", "per_point": "0"},
            {"min": "70", "base": "0.80", "per_point": "0.02"},
            {"min": "60", "base": "0.60", "per_point": "0.02"},
            {"min": "0", "base": "0.40", "per_point": "0"},
        ],
    },
    # 每增1分 (whole points): 优 pays in full, 良 0.95–0.995, 中 0.75–0.94, 差 pro rata
    "steps_floor": {
        "type": "steps",
        "score_rounding": "floor",
        "bands": [
            {"min": "90", "base": "1.00", "per_point": "0"},
            {"min": "80", "base": "0.95", "per_point": "0.005"},
            {"min": "60", "base": "0.75", "per_point": "0.01"},
            {"min": "0", "base": "0", "per_point": "0.0125"},
        ],
    },
}

# --- Milestones per sector: (code, name, months after starts_on) -------------------------
# Every contract also gets "MID" (中期评估) at half its term.

SECTOR_MILESTONES = {
    "public_wifi": [("M1", "一期热点建设完工验收", 9), ("M2", "全市覆盖开通运营", 15)],
    "flood_monitoring": [("M1", "监测站点建设完工验收", 8), ("M2", "预警平台上线运行", 12)],
    "smart_parking": [("M1", "泊位检测设备安装验收", 6), ("M2", "诱导系统联网运行", 12)],
    "transit_payment": [("M1", "移动支付系统上线", 6), ("M2", "清分结算平台验收", 12)],
    "data_platform": [("M1", "平台一期建设验收", 10), ("M2", "部门数据全量归集", 18)],
    "e_government": [("M1", "政务App新版上线", 4), ("M2", "网络安全等级保护三级测评", 12)],
}

# Milestones met late, and milestones still unmet although due (the overdue list's demo).
LATE_MILESTONES = {"CS-WIFI": "M2", "BJ-PARK": "M1", "GZ-EGOV": "M1", "CQ-FLOOD": "M2"}
OVERDUE_MILESTONES = {"CS-DATA": "M2", "GZ-PARK": "M2", "WH-FLOOD": "M1"}

# --- The portfolio ------------------------------------------------------------------------
# One project (and one contract) per row. invest: total investment in 万元. freq: A/Q/M (annual,
# quarterly, monthly). ago: months from the contract start to today (then aligned to the
# period start). returns: GP government_pays, VGF viability_gap. coef: a COEFFICIENTS key, or
# "deductions" (DEDUCTION_MECHANISMS). linked: share of the availability fee tied to the
# score (财办金〔2017〕92号 wants at least 30%). om: O&M share of the fee (always linked).
# QD-PARK is deliberately below 30%: a fixed availability fee, only O&M moves with the score.

_PORTFOLIO = """
code       city  sector            mode  returns  invest years  freq  ago  coef         linked  om
CS-WIFI    长沙  public_wifi       BOT   GP       18000  15     Q      62  p90          0.35    0.30
CS-DATA    长沙  data_platform     BOO   GP       42000  12     Q      44  steps        0.30    0.35
CS-EGOV    长沙  e_government      O&M   GP        6500  10     M      34  p100         0.40    0.40
FS-WIFI    佛山  public_wifi       BOT   GP        9600  12     Q      70  steps        0.40    0.30
BJ-PARK    北京  smart_parking     BOT   VGF      56000  15     M      40  deductions   -       -
BJ-FLOOD   北京  flood_monitoring  ROT   GP       14500  12     Q      52  p90          0.35    0.25
SH-WIFI    上海  public_wifi       ROT   GP       32000  15     A      64  p90          0.35    0.30
SH-BUSPAY  上海  transit_payment   BOO   GP       21000  10     M      38  deductions   -       -
GZ-PARK    广州  smart_parking     BOT   VGF      38000  15     Q      48  p90          0.30    0.25
GZ-EGOV    广州  e_government      O&M   GP        8800  10     Q      36  steps_floor  0.40    0.40
SZ-BUSPAY  深圳  transit_payment   BOT   GP       16800  10     Q      46  p100         0.35    0.30
SZ-WIFI    深圳  public_wifi       BOO   GP       24000  12     Q      58  p90          0.30    0.30
CQ-FLOOD   重庆  flood_monitoring  TOT   GP       22000  15     Q      54  steps        0.35    0.25
CD-DATA    成都  data_platform     BOO   GP       48000  15     A      60  p90          0.35    0.35
CD-BUSPAY  成都  transit_payment   BOT   VGF      19500  12     Q      42  p90          0.30    0.30
WH-EGOV    武汉  e_government      O&M   GP        7200  10     Q      40  p90          0.35    0.40
WH-FLOOD   武汉  flood_monitoring  BOT   GP       26000  15     Q      50  p100         0.40    0.25
QD-DATA    青岛  data_platform     BOT   GP       31000  12     Q      38  steps        0.30    0.35
QD-PARK    青岛  smart_parking     BOT   VGF      27000  15     Q      56  p90          0       0.20
"""

# code -> (government party, private party: a COMPANIES key)
PROJECT_PARTIES = {
    "CS-WIFI": (PREPARER_AGENCY, "A"),
    "CS-DATA": (PREPARER_AGENCY, "B"),
    "CS-EGOV": (PREPARER_AGENCY, "A"),
    "FS-WIFI": ("佛山市工业和信息化局", "FS-WLAN"),
    "BJ-PARK": ("北京市交通委员会", "BJ-PARK"),
    "BJ-FLOOD": ("北京市水务局", "BJ-WATER"),
    "SH-WIFI": ("上海市经济和信息化委员会", "SH-WLAN"),
    "SH-BUSPAY": ("上海市交通委员会", "SH-PAY"),
    "GZ-PARK": ("广州市交通运输局", "GZ-PARK"),
    "GZ-EGOV": ("广州市政务服务和数据管理局", "GZ-GOV"),
    "SZ-BUSPAY": ("深圳市交通运输局", "SZ-PAY"),
    "SZ-WIFI": ("深圳市工业和信息化局", "SZ-WLAN"),
    "CQ-FLOOD": ("重庆市城市管理局", "CQ-WATER"),
    "CD-DATA": ("成都市政务服务管理和网络理政办公室", "B"),
    "CD-BUSPAY": ("成都市交通运输局", "CD-PAY"),
    "WH-EGOV": ("武汉市政务服务和大数据管理局", "WH-GOV"),
    "WH-FLOOD": ("武汉市水务局", "WH-WATER"),
    "QD-DATA": ("青岛市大数据发展管理局", "B"),
    "QD-PARK": ("青岛市城市管理局", "QD-PARK"),
}

# code -> (name, name_en)
PROJECT_NAMES = {
    "CS-WIFI": ("长沙市公共区域免费WiFi运营PPP项目", "Changsha free public WiFi PPP"),
    "CS-DATA": ("长沙市城市超级大脑数据平台PPP项目", "Changsha city brain data platform PPP"),
    "CS-EGOV": ("长沙市“我的长沙”政务App运营PPP项目", "Changsha 'My Changsha' e-gov app PPP"),
    "FS-WIFI": ("佛山市城市公共无线网络覆盖PPP项目", "Foshan public wireless network PPP"),
    "BJ-PARK": ("北京市路侧停车电子收费PPP项目", "Beijing on-street parking e-charging PPP"),
    "BJ-FLOOD": ("北京市中心城区积水监测预警PPP项目", "Beijing waterlogging monitoring PPP"),
    "SH-WIFI": ("上海市公共场所无线局域网扩容运营PPP项目", "Shanghai i-Shanghai public WLAN PPP"),
    "SH-BUSPAY": ("上海市公交移动支付与清分结算PPP项目", "Shanghai bus mobile payment PPP"),
    "GZ-PARK": ("广州市智慧停车诱导系统PPP项目", "Guangzhou smart parking guidance PPP"),
    "GZ-EGOV": ("广州市“穗好办”政务App运营PPP项目", "Guangzhou 'Sui Hao Ban' e-gov app PPP"),
    "SZ-BUSPAY": ("深圳市公交移动支付系统PPP项目", "Shenzhen bus mobile payment PPP"),
    "SZ-WIFI": ("深圳市公共区域免费WiFi建设运营PPP项目", "Shenzhen free public WiFi PPP"),
    "CQ-FLOOD": ("重庆市主城区排水防涝监测PPP项目", "Chongqing drainage monitoring PPP"),
    "CD-DATA": ("成都市城市大数据平台PPP项目", "Chengdu city big data platform PPP"),
    "CD-BUSPAY": ("成都市公交地铁移动支付一体化PPP项目", "Chengdu bus and metro payment PPP"),
    "WH-EGOV": ("武汉市“i武汉”政务App运营PPP项目", "Wuhan 'i-Wuhan' e-gov app PPP"),
    "WH-FLOOD": ("武汉市城市内涝监测预警PPP项目", "Wuhan waterlogging early-warning PPP"),
    "QD-DATA": ("青岛市城市云脑数据中台PPP项目", "Qingdao city cloud brain data hub PPP"),
    "QD-PARK": ("青岛市市区智慧停车PPP项目", "Qingdao urban smart parking PPP"),
}

_FREQUENCIES = {"A": "annual", "Q": "quarterly", "M": "monthly"}
_RETURNS = {"GP": "government_pays", "VGF": "viability_gap"}


def _portfolio() -> list[dict]:
    header, *rows = (line.split() for line in _PORTFOLIO.strip().splitlines())
    projects = []
    for row in rows:
        p = dict(zip(header, row, strict=True))
        p["government"], p["company"] = PROJECT_PARTIES[p["code"]]
        p["name"], p["name_en"] = PROJECT_NAMES[p["code"]]
        p["freq"] = _FREQUENCIES[p["freq"]]
        p["returns"] = _RETURNS[p["returns"]]
        p["years"], p["ago"] = int(p["years"]), int(p["ago"])
        projects.append(p)
    return projects


PROJECTS = _portfolio()

# The two "deductions" contracts: UK-style availability deductions (area weightings and
# ratchets), performance points, per-event rates. Amounts are per period (month).
DEDUCTION_MECHANISMS = {
    "BJ-PARK": {
        "type": "deductions",
        "base_amount": "3450000.00",
        "availability": {
            "area_rate": "60.00",
            "unavailable_but_used_factor": "0.5",
            "ratchet": [
                {"failures_more_than": 3, "factor": "1.5"},
                {"failures_more_than": 6, "factor": "2"},
            ],
        },
        "event_rates": [
            {"code": "sensor_day", "name": "泊位检测器故障逾期未修复(每个·每天)", "rate": "150"},
            {"code": "screen_hour", "name": "诱导屏黑屏或数据错误(每块·每小时)", "rate": "80"},
            {"code": "billing_error", "name": "经核实的收费差错(每笔)", "rate": "200"},
            {"code": "complaint_overdue", "name": "投诉逾期未办结(每件)", "rate": "500"},
        ],
        "cap_fraction": "0.3",
        "money_places": 2,
    },
    "SH-BUSPAY": {
        "type": "deductions",
        "base_amount": "2180000.00",
        "availability": {
            "area_rate": "120.00",
            "unavailable_but_used_factor": "0.5",
            "ratchet": [
                {"failures_more_than": 2, "factor": "1.5"},
                {"failures_more_than": 5, "factor": "2"},
            ],
        },
        "performance_points": {
            "threshold": 20,
            "rate": "400.00",
            "bands": [
                {"up_to": 60, "multiplier": "1.0"},
                {"up_to": 120, "multiplier": "1.5"},
                {"up_to": None, "multiplier": "2.0"},
            ],
        },
        "cap_fraction": "0.5",
        "money_places": 2,
    },
}

# area -> weighting; a failure is counted in hours (SH) or days (BJ) of unavailability.
DEDUCTION_AREAS = {
    "BJ-PARK": {
        "东城区路侧泊位片区": 20,
        "西城区路侧泊位片区": 20,
        "朝阳区路侧泊位片区": 25,
        "停车诱导屏网络": 15,
        "电子收费与缴费平台": 20,
    },
    "SH-BUSPAY": {
        "移动支付交易前置系统": 35,
        "清分结算系统": 25,
        "车载扫码终端网络": 25,
        "乘客服务App": 15,
    },
}

# Typical event quantities in an average month, per event code.
EVENT_QUANTITIES = {"sensor_day": 30, "screen_hour": 20, "billing_error": 6, "complaint_overdue": 2}

# --- Dates and periods --------------------------------------------------------------------

MONTHS_PER_PERIOD = {"annual": 12, "quarterly": 3, "monthly": 1}


def _add_months(d: datetime.date, months: int) -> datetime.date:
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    day = min(d.day, calendar.monthrange(year, month0 + 1)[1])
    return datetime.date(year, month0 + 1, day)


def period_start(d: datetime.date, frequency: str) -> datetime.date:
    return period_bounds(period_label(d, frequency), frequency)[0]


def closed_periods(starts_on: datetime.date, frequency: str, today: datetime.date):
    """(label, first day, last day) of every period from starts_on whose last day < today."""
    out = []
    for label in period_labels_between(starts_on, today, frequency):
        first, last = period_bounds(label, frequency)
        if last < today:
            out.append((label, first, last))
    return out


# --- Generators ---------------------------------------------------------------------------


def _dec(value: Decimal, places: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _places(text: str) -> int:
    return len(text.partition(".")[2])


def _rng(*parts) -> random.Random:
    # str seeds are hashed with SHA-512, so they are stable across runs and processes
    return random.Random(":".join([SEED, *map(str, parts)]))


def _party(key: str, kind: str, name: str, city: str) -> dict:
    prefix = {"government": "11", "enterprise": "91"}[kind]
    code = _org_code(prefix, _REGION[city], name)
    return {"key": key, "kind": kind, "name": name, "credit_code": code}


def _round_amount(value: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    # service fees in contracts are round sums: nearest 1,000 yuan
    return (value / 1000).quantize(Decimal(1), rounding=rounding) * 1000


def _components(p: dict) -> list[dict]:
    """Per-period fee: an annuity on the investment at 5.5% over the term (availability) plus
    O&M, split into fixed availability, linked availability and linked O&M."""
    r, years = Decimal("0.055"), p["years"]
    annuity = Decimal(p["invest"]) * 10_000 * r * (1 + r) ** years / ((1 + r) ** years - 1)
    om_share = Decimal(p["om"])
    per_period = annuity / (1 - om_share) * MONTHS_PER_PERIOD[p["freq"]] / 12
    om = _round_amount(per_period * om_share)
    availability = _round_amount(per_period) - om
    # rounded up, so that "30% linked" never becomes 29.99% and trips the compliance check
    linked = _round_amount(availability * Decimal(p["linked"]), ROUND_CEILING)
    rows = [
        ("availability_fixed", "可用性服务费(固定部分)", availability - linked, False),
        ("availability_linked", "可用性服务费(绩效挂钩部分)", linked, True),
        ("om_fee", "运营维护绩效服务费", om, True),
    ]
    return [
        {"code": code, "name": name, "amount": _dec(amount, 2), "linked": is_linked}
        for code, name, amount, is_linked in rows
        if amount
    ]


def _mechanism(p: dict) -> dict:
    if p["coef"] == "deductions":
        return DEDUCTION_MECHANISMS[p["code"]]
    return {
        "type": "score_coefficient",
        "components": _components(p),
        "coefficient": COEFFICIENTS[p["coef"]],
        "money_places": 2,
    }


def _milestones(p: dict, starts_on: datetime.date, today: datetime.date) -> list[dict]:
    rng = _rng("milestones", p["code"])
    plan = [*SECTOR_MILESTONES[p["sector"]], ("MID", "中期评估", p["years"] * 6)]
    out = []
    for code, name, months in plan:
        due = _add_months(starts_on, months) - datetime.timedelta(days=1)
        if OVERDUE_MILESTONES.get(p["code"]) == code:
            met = None
        elif LATE_MILESTONES.get(p["code"]) == code:
            met = due + datetime.timedelta(days=rng.randint(12, 75))
        else:
            met = due - datetime.timedelta(days=rng.randint(0, 20))
        if met is not None and met >= today:  # not reached yet
            met = None
        met_on = met.isoformat() if met else None
        out.append({"code": code, "name": name, "due_on": due.isoformat(), "met_on": met_on})
    return out


def _z(rng: random.Random, quality: Decimal) -> float:
    """Performance in standard deviations above target: the company's quality plus noise,
    and now and then a bad period (storm season, a system migration, ...)."""
    shock = -2.2 if rng.random() < 0.07 else 0.0
    return float(quality) + rng.gauss(0, 0.9) + shock


def _measurements(templates: list[dict], quality: Decimal, rng: random.Random) -> list[dict]:
    period_z = _z(rng, quality) * 0.5  # shared by all KPIs: good and bad periods
    out = []
    for k in templates:
        z = period_z + _z(rng, quality) * 0.6
        if k["rule"] == "manual":
            share = min(1.0, max(0.3, 0.88 + 0.08 * z))
            points = Decimal(round(share * float(k["max_points"]) * 2)) / 2  # half points
            out.append({"kpi": k["code"], "points": _dec(points, 1).removesuffix(".0")})
            continue
        noise = k["_noise"]
        sign = 1 if k["direction"] == "higher" else -1
        value = Decimal(k["target"]) + sign * Decimal(noise) * Decimal(f"{z:.4f}")
        value = max(Decimal(0), value)
        if k["unit"] in ("%", "分"):
            value = min(Decimal(100), value)
        out.append({"kpi": k["code"], "value": _dec(value, _places(noise))})
    return out


def _deduction_inputs(mechanism: dict, areas: dict, quality: Decimal, rng) -> dict:
    # better companies fail less often; counts scale with how bad the period is
    badness = max(0.0, 1.2 - float(quality) - rng.gauss(0, 0.8))
    out: dict = {}
    if "availability" in mechanism:
        failures = []
        for area in rng.sample(sorted(areas), k=min(len(areas), int(badness * 1.5))):
            count = rng.randint(1, 2 + int(badness * 3))
            failures.append(
                {
                    "area": area,
                    "weighting": areas[area],
                    "periods": rng.randint(1, 2 + count),
                    "used": rng.random() < 0.6,
                    "failures_in_period": count,
                }
            )
        if failures:  # no empty lists: a stored period has none to compare with on re-import
            out["availability_failures"] = failures
    if "performance_points" in mechanism:
        out["performance_points"] = int(badness * rng.uniform(15, 45))
    if "event_rates" in mechanism:
        events = []
        for rate in mechanism["event_rates"]:
            quantity = int(badness * rng.uniform(0, 1.5) * EVENT_QUANTITIES[rate["code"]])
            if quantity:
                events.append({"code": rate["code"], "quantity": str(quantity)})
        if events:
            out["events"] = events
    return out


def _bundle(p: dict, today: datetime.date) -> dict:
    rng = _rng("contract", p["code"])
    freq = p["freq"]
    starts_on = period_start(_add_months(today, -p["ago"]), freq)
    signed_on = starts_on - datetime.timedelta(days=rng.randint(30, 120))
    ends_on = _add_months(starts_on, 12 * p["years"]) - datetime.timedelta(days=1)
    company, home, quality = COMPANIES[p["company"]]
    mechanism = copy.deepcopy(_mechanism(p))  # callers may mutate bundles, not our tables
    templates = SECTOR_KPIS[p["sector"]] if mechanism["type"] == "score_coefficient" else []

    # Every closed period except the most recent one: that one and the current period stay
    # open so the demo can enter, compute and approve them.
    evaluations = []
    for label, _first, _last in closed_periods(starts_on, freq, today)[:-1]:
        period_rng = _rng("evaluation", p["code"], label)
        if templates:
            inputs = {"measurements": _measurements(templates, quality, period_rng)}
        else:
            areas = DEDUCTION_AREAS[p["code"]]
            inputs = _deduction_inputs(mechanism, areas, quality, period_rng)
        evaluations.append({"period": label, **inputs})

    return {
        "format": "ppp-bundle/1",
        "project": {
            "code": p["code"],
            "name": p["name"],
            "name_en": p["name_en"],
            "city": p["city"],
            "sector": p["sector"],
            "stage": "execution",
            "operation_mode": p["mode"],
            "return_mechanism": p["returns"],
            "total_investment": _dec(Decimal(p["invest"]) * 10_000, 2),
            "cooperation_years": p["years"],
        },
        "parties": [
            _party("gov", "government", p["government"], p["city"]),
            _party("spv", "enterprise", company, home),
        ],
        "contract": {
            "code": f"{p['code']}-01",
            "title": p["name"].removesuffix("PPP项目") + "项目PPP合同",
            "government_party": "gov",
            "private_party": "spv",
            "signed_on": signed_on.isoformat(),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "currency": "CNY",
            "frequency": freq,
            "mechanism": mechanism,
            "kpis": [_kpi_entry(p["code"], t) for t in templates],
            "milestones": _milestones(p, starts_on, today),
        },
        "evaluations": evaluations,
    }


def _kpi_entry(code: str, template: dict) -> dict:
    """A KPI of the bundle: its template without the generator's noise, and the `telemetry`
    object of the KPIs the city measures from telemetry (portfolio/demo_telemetry.py)."""
    kpi = {k: v for k, v in template.items() if k != "_noise"}
    source = telemetry_kpi(code, template["code"])
    if source:
        kpi["telemetry"] = source
    return kpi


def demo_bundles(today: datetime.date) -> list[dict]:
    """The demo portfolio as of ``today``: one bundle per project, in PROJECTS order."""
    return [_bundle(p, today) for p in PROJECTS]


# --- The people behind the history ----------------------------------------------------------
# Every other agency has a preparer and an approver, every other company one member of staff:
# they submitted, reviewed and decided the demo's history. They cannot log in (no password).

_SURNAMES = [
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("罗", "luo"),
]  # fmt: skip
_GIVEN_NAMES = [
    ("建华", "jianhua"), ("海燕", "haiyan"), ("志强", "zhiqiang"), ("秀英", "xiuying"),
    ("晓明", "xiaoming"), ("丽华", "lihua"), ("国庆", "guoqing"), ("红梅", "hongmei"),
    ("宇航", "yuhang"), ("思远", "siyuan"), ("雪梅", "xuemei"), ("俊杰", "junjie"),
    ("文博", "wenbo"), ("佳怡", "jiayi"), ("振东", "zhendong"), ("慧敏", "huimin"),
]  # fmt: skip


def _person(username: str, role: str, party_name: str, domain: str) -> dict:
    rng = _rng("person", username)
    surname, surname_py = rng.choice(_SURNAMES)
    given, given_py = rng.choice(_GIVEN_NAMES)
    return {
        "username": username,
        "role": role,
        "party_name": party_name,
        "first_name": surname + given,
        "email": f"{surname_py}.{given_py}@{domain}",
    }


def demo_people() -> list[dict]:
    """The officials and enterprise staff of the parties the demo users do not act for."""
    demo_parties = {u["party_name"] for u in DEMO_USERS}
    people, seen = [], set()
    for p in PROJECTS:
        prefix = p["code"].lower().replace("-", "_")
        agency, company_key = PROJECT_PARTIES[p["code"]]
        if agency not in demo_parties | seen:
            seen.add(agency)
            domain = f"{p['code'].split('-')[0].lower()}.gov.example"
            people += [
                _person(f"{prefix}_preparer", "preparer", agency, domain),
                _person(f"{prefix}_approver", "approver", agency, domain),
            ]
        company = COMPANIES[company_key][0]
        if company not in demo_parties | seen:
            seen.add(company)
            domain = f"{company_key.lower()}.example"
            people.append(_person(f"{company_key.lower().replace('-', '_')}_staff",
                                  "enterprise", company, domain))  # fmt: skip
    return people
