"""ISO 3166-1 alpha-2 country codes, so the policy file cannot name a country that does not exist.

The 249 officially assigned codes (ISO 3166 Maintenance Agency). Exceptionally reserved
codes such as ``UK`` and ``EL`` are not country codes: the United Kingdom is ``GB`` and
Greece is ``GR``; the validator says so instead of a bare refusal.
"""

from __future__ import annotations

_TABLE = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
    BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
    CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
    DE DJ DK DM DO DZ
    EC EE EG EH ER ES ET
    FI FJ FK FM FO FR
    GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
    HK HM HN HR HT HU
    ID IE IL IM IN IO IQ IR IS IT
    JE JM JO JP
    KE KG KH KI KM KN KP KR KW KY KZ
    LA LB LC LI LK LR LS LT LU LV LY
    MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
    NA NC NE NF NG NI NL NO NP NR NU NZ
    OM
    PA PE PF PG PH PK PL PM PN PR PS PT PW PY
    QA
    RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
    TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
    UA UG UM US UY UZ
    VA VC VE VG VI VN VU
    WF WS
    YE YT
    ZA ZM ZW
"""
ALPHA2: frozenset[str] = frozenset(_TABLE.split())

_RESERVED_HINTS = {
    "UK": "'UK' is reserved, not an ISO 3166 alpha-2 code: the United Kingdom is 'GB'",
    "EL": "'EL' is reserved, not an ISO 3166 alpha-2 code: Greece is 'GR'",
    "EU": "'EU' is not a country: list each EEA country",
}


def check_alpha2(code: str) -> str:
    """Return ``code`` when it is an assigned ISO 3166-1 alpha-2 code; else raise ValueError."""
    if code in ALPHA2:
        return code
    hint = _RESERVED_HINTS.get(code.upper())
    if hint:
        raise ValueError(hint)
    raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code (two capital letters)")
