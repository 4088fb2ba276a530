"""Every rate the district simulator uses, as data, with where it comes from.

Values are anchor points ``{year: value}`` interpolated linearly by year and held constant
before the first and after the last anchor (:func:`by_year`).  Policy regimes are step
functions of the year (:func:`regime_of`).  Sources are cited next to each table and collected
in ``docs/simulation.md``; marks as in ``policy-facts.md``: ✅ official or census figure,
◐ secondary or rounded, ⚠ assumption made for the simulation.

Nothing here is random and nothing here reads files: a :class:`Params` is plain data that
``truth/params.json`` records in full, so a run can be reproduced and audited.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Anchors = Mapping[int, float]

# --------------------------------------------------------------------------- fertility

# Total fertility rate, China. 1950–1982: Coale & Chen (1987) single-year series as reproduced
# in Banister, *China's Changing Population* (1987) ◐ (famine trough 1959–61, 1963 rebound);
# 1990 census 2.3 ✅; 1990s–2010s adjusted estimates (~1.6; census-reported values 1.22 in
# 2000 and 1.18 in 2010 are accepted to be under-counts) ◐; 2016–17 two-child rebound ◐;
# 2020 census 1.3 ✅; 2022–23 about 1.0–1.1 (NBS births 9.56 M and 9.02 M) ◐; 2024 dragon
# year 9.54 M births ◐; 2025 ⚠ assumed 1.0.
TFR: dict[int, float] = {
    1950: 5.81, 1951: 5.70, 1952: 6.47, 1953: 6.05, 1954: 6.28, 1955: 6.26, 1956: 5.85,
    1957: 6.41, 1958: 5.68, 1959: 4.30, 1960: 4.02, 1961: 3.29, 1962: 6.02, 1963: 7.50,
    1964: 6.18, 1965: 6.08, 1966: 6.26, 1967: 5.31, 1968: 6.45, 1969: 5.72, 1970: 5.81,
    1971: 5.44, 1972: 4.98, 1973: 4.54, 1974: 4.17, 1975: 3.57, 1976: 3.24, 1977: 2.84,
    1978: 2.72, 1979: 2.75, 1980: 2.24, 1981: 2.63, 1982: 2.87, 1983: 2.42, 1984: 2.35,
    1985: 2.20, 1986: 2.42, 1987: 2.59, 1988: 2.31, 1989: 2.35, 1990: 2.31, 1992: 2.00,
    1995: 1.80, 2000: 1.60, 2005: 1.60, 2010: 1.60, 2013: 1.60, 2014: 1.66, 2015: 1.60,
    2016: 1.77, 2017: 1.81, 2018: 1.55, 2019: 1.50, 2020: 1.30, 2021: 1.15, 2022: 1.07,
    2023: 1.00, 2024: 1.05, 2025: 1.00,
}  # fmt: skip

# Mean and standard deviation of the age-specific fertility schedule (age at birth, years).
# High-fertility schedules are wide and late (many higher-order births); the one-child era
# compressed childbearing into the mid-twenties; it has been ageing since 2000.  Mean age at
# childbearing: ~29 in the 1950s ◐ (Coale & Chen), 25–26 around 1990 ◐, 29.5 in 2020 ◐
# (2020 census tabulation); SDs ⚠ chosen to reproduce published schedule shapes.
ASFR_MEAN: dict[int, float] = {1950: 29.0, 1970: 28.5, 1980: 26.5, 1990: 25.3, 2000: 26.3,
                               2010: 27.8, 2020: 29.6, 2025: 30.2}  # fmt: skip
ASFR_SD: dict[int, float] = {1950: 6.6, 1970: 6.3, 1980: 4.8, 1990: 3.9, 2000: 4.1,
                             2010: 4.6, 2020: 5.0, 2025: 5.0}  # fmt: skip
ASFR_AGES = (15, 49)

# Eras over which the tests and summary.json compare realised TFR with the input.
TFR_ERAS: tuple[tuple[int, int], ...] = (
    (1950, 1969), (1970, 1979), (1980, 1989), (1990, 1999), (2000, 2015), (2016, 2020),
    (2021, 2025),
)  # fmt: skip

# Birth-policy regimes (policy-facts.md §5) → relative weights of a married woman's next
# birth by parity.  The *level* of fertility is fixed by the ASFR; these only decide which
# women have the births, so the one-child era has few second births in towns and a rural
# second birth mostly after a first-born girl (the 1.5-child rule, 1984).  Weights ⚠.
#   key: regime → group ("agri" | "urban") → (parity 0, parity 1 first child a boy,
#                                              parity 1 first child a girl, parity 2, 3+)
POLICY_REGIMES: tuple[tuple[int, str], ...] = (
    (1950, "natural"),          # before the "later, longer, fewer" campaign
    (1971, "wanxishao"),        # 晚、稀、少, from 1971 ◐
    (1980, "one_child"),        # open letter 1980-09-25 ✅
    (1984, "one_and_half"),     # Document 7 (1984): rural second child after a girl ◐
    (2014, "dandu"),            # 单独二孩 2014 ✅
    (2016, "two_child"),        # 全面二孩 2016-01-01 ✅
    (2021, "three_child"),      # 三孩 2021 ✅
)  # fmt: skip
PARITY_WEIGHTS: dict[str, dict[str, tuple[float, float, float, float, float]]] = {
    "natural": {"agri": (1, 1, 1, 1, 0.85), "urban": (1, 1, 1, 0.9, 0.75)},
    "wanxishao": {"agri": (1, 0.7, 0.75, 0.45, 0.28), "urban": (1, 0.45, 0.5, 0.18, 0.08)},
    "one_child": {"agri": (1, 0.22, 0.3, 0.08, 0.04), "urban": (1, 0.04, 0.05, 0.01, 0.01)},
    "one_and_half": {"agri": (1, 0.12, 0.5, 0.05, 0.02), "urban": (1, 0.04, 0.05, 0.01, 0.01)},
    "dandu": {"agri": (1, 0.2, 0.5, 0.05, 0.02), "urban": (1, 0.12, 0.12, 0.01, 0.01)},
    "two_child": {"agri": (1, 0.45, 0.5, 0.05, 0.02), "urban": (1, 0.4, 0.4, 0.03, 0.01)},
    "three_child": {"agri": (1, 0.35, 0.38, 0.08, 0.03), "urban": (1, 0.32, 0.32, 0.06, 0.02)},
}
# First births follow marriage quickly (China: ~1.5 years on average ◐), so women married in
# the last two years carry this multiplier on the parity-0 weight.
NEWLYWED_BOOST = 3.0
# Births outside marriage: weight of an unmarried woman relative to a married one ⚠ (China's
# non-marital births are rare; registration was tied to marriage until 2023 in Sichuan).
NONMARITAL_WEIGHT = 0.004
# Birth spacing: weight multiplier one and two calendar years after the previous birth ⚠.
SPACING = (0.25, 0.7)

# Sex ratio at birth (boys per 100 girls) by birth order (mother's 1st, 2nd, 3rd+ child).
# 1982 census 106.6/105.2/109.4 ✅; 1990 census 105.2/121.0/127.0 ✅; 2000 census
# 107.1/151.9/159.4 ✅; 2010 census 113.7/130.3/158.4 ✅; 2020 census 113.2/106.8/132.9 ◐.
# The issue asks for first births "about 106–110"; the census first-birth values of 2010 and
# 2020 (113.7, 113.2) are capped at 110 ⚠, which still gives ≈111 overall in 2020.
SRB: dict[int, tuple[float, float, float]] = {
    1950: (106.0, 106.0, 106.0),
    1975: (106.0, 106.0, 107.0),
    1982: (106.6, 105.2, 109.4),
    1990: (105.2, 121.0, 127.0),
    2000: (107.1, 151.9, 159.4),
    2010: (110.0, 130.3, 158.4),
    2020: (110.0, 106.8, 132.9),
    2025: (108.0, 106.0, 125.0),
}
SRB_ERAS: tuple[tuple[int, int], ...] = (
    (1950, 1979), (1980, 1989), (1990, 1994), (1995, 2010), (2011, 2019), (2020, 2025),
)  # fmt: skip
# Twin deliveries per delivery: ~1% ◐ (China, pre-ART ~0.9%; rising with assisted
# reproduction after 2005 ◐).  A third of twin pairs monozygotic (same sex) ◐.
TWIN_RATE: dict[int, float] = {1950: 0.009, 2005: 0.009, 2015: 0.012, 2025: 0.013}
MONOZYGOTIC_SHARE = 1 / 3
# Share of deliveries in a hospital or health centre (住院分娩率): national rural 1985 ~36%,
# 2000 ~72%, 2010 ~97%, 2020 ~99.9% ◐ (NHC statistical yearbooks); earlier ⚠.
HOSPITAL_DELIVERY: dict[int, float] = {1950: 0.05, 1970: 0.2, 1985: 0.45, 2000: 0.75,
                                       2010: 0.97, 2020: 0.999}  # fmt: skip

# --------------------------------------------------------------------------- mortality

# Life expectancy at birth by sex (male, female).  1981, 1990, 2000, 2010, 2015, 2020:
# official life tables ✅ (66.28/69.27, 66.84/70.47, 69.63/73.33, 72.38/77.37, 73.64/79.43,
# 75.37/80.88); 1950s–1970s and the 1959–61 famine after Banister & Hill (2004) ◐;
# 2023 (78.6 both sexes) ◐; 2025 ⚠.
E0: dict[int, tuple[float, float]] = {
    1950: (39.0, 42.0), 1957: (49.0, 51.0), 1958: (45.0, 47.0), 1959: (35.0, 37.0),
    1960: (25.0, 27.0), 1961: (37.0, 39.0), 1962: (51.0, 53.0), 1965: (55.5, 57.5),
    1970: (61.0, 63.0), 1975: (63.5, 66.0), 1981: (66.3, 69.3), 1990: (66.8, 70.5),
    2000: (69.6, 73.3), 2010: (72.4, 77.4), 2015: (73.6, 79.4), 2020: (75.4, 80.9),
    2023: (76.0, 81.4), 2025: (76.4, 81.8),
}  # fmt: skip
# Mortality shape: Brass relational logit (β = 1) on a Gompertz–Makeham standard with a
# childhood term, μ(x) = a·e^(−b·x) + c + d·e^(g·x); the level α is solved for each year and
# sex to hit E0.  The standard (e0 ≈ 74) ⚠.
MORTALITY_STANDARD = {"a": 0.03, "b": 1.6, "c": 0.0004, "d": 0.00003, "g": 0.095}
# Infant mortality rate (deaths under 1 per live birth): NHC statistical bulletins ✅ for
# 2000 (32.2‰), 2005 (19.0‰), 2010 (13.1‰), 2015 (8.1‰), 2020 (5.4‰), 2023 (4.5‰); MCH
# surveillance 1991 (50.2‰) ◐; 1950s–1980s and the famine after Banister (1987) ◐.
INFANT_MORTALITY: dict[int, float] = {
    1950: 0.195, 1957: 0.140, 1959: 0.180, 1960: 0.260, 1961: 0.190, 1963: 0.110,
    1970: 0.070, 1980: 0.050, 1991: 0.050, 2000: 0.032, 2005: 0.019, 2010: 0.013,
    2015: 0.0081, 2020: 0.0054, 2023: 0.0045, 2025: 0.0042,
}  # fmt: skip
# Share of the first year's mortality that falls in the calendar year of birth ⚠.
INFANT_FIRST_YEAR_SHARE = 0.7
MAX_AGE = 110

# --------------------------------------------------------------------------- marriage

# Legal minimum ages (men, women): Marriage Law 1950 20/18 ✅; Marriage Law 1980 (in force
# 1981-01-01) 22/20 ✅.
LEGAL_MIN_AGE: dict[int, tuple[int, int]] = {1950: (20, 18), 1981: (22, 20)}
# Mean age at first marriage (men, women), period.  1950 women 18.7 (Coale) ◐, raised to
# 19.0 because the simulation enforces the 1950 legal minimum; 1970s late-marriage campaign
# (晚婚) ◐; 1980s dip after the 1980 law ◐; 2000 ◐, 2010 census 25.9/23.9 ◐; 2020 census
# 29.38/27.95 ✅; 2023 ⚠.
FIRST_MARRIAGE_MEAN: dict[int, tuple[float, float]] = {
    1950: (21.8, 19.0), 1960: (22.8, 19.8), 1970: (23.5, 20.6), 1980: (25.0, 23.0),
    1985: (24.0, 22.0), 1990: (23.9, 22.1), 2000: (24.8, 22.9), 2010: (25.9, 23.9),
    2015: (26.8, 25.0), 2020: (29.4, 27.95), 2025: (29.8, 28.3),
}  # fmt: skip
FIRST_MARRIAGE_SD: dict[int, tuple[float, float]] = {1950: (3.2, 2.4), 1990: (3.0, 2.6),
                                                     2020: (4.0, 3.6)}  # fmt: skip
# Share ever marrying by 50 (men, women): near-universal until 2000 ◐, falling since ◐.
EVER_MARRY: dict[int, tuple[float, float]] = {1950: (0.96, 0.995), 2000: (0.96, 0.99),
                                              2025: (0.92, 0.96)}  # fmt: skip
FIRST_MARRIAGE_ERAS: tuple[tuple[int, int], ...] = (
    (1950, 1969), (1970, 1979), (1980, 1989), (1990, 1999), (2000, 2009), (2010, 2019),
    (2020, 2025),
)  # fmt: skip
# Divorce hazard per intact marriage per year.  Crude divorce rates 0.33‰ (1980), 0.69‰
# (1990), 0.96‰ (2000), 2.00‰ (2010), 3.36‰ (2019), 2.0‰ (2021, after the Civil Code's 30-day
# cooling-off period, in force 2021-01-01) ✅ (Ministry of Civil Affairs statistical bulletins),
# divided by ≈0.33 intact couples per person ◐; the 1953 divorce wave after the 1950 Marriage
# Law ◐.
DIVORCE: dict[int, float] = {1950: 0.004, 1956: 0.002, 1965: 0.001, 1970: 0.0006,
                             1980: 0.001, 1990: 0.002, 2000: 0.003, 2010: 0.006, 2015: 0.009,
                             2019: 0.010, 2021: 0.006, 2025: 0.006}  # fmt: skip
# Multiplier by marriage duration in completed years: (<2, 2–9, 10–19, 20+) ⚠.
DIVORCE_DURATION = ((2, 0.8), (10, 1.3), (20, 1.0), (200, 0.5))
# Share of divorces granted by a court (诉讼离婚) rather than registered at civil affairs
# (登记离婚); court divorces are not in the civil-affairs feed.  ~20–25% ◐.
COURT_DIVORCE_SHARE = 0.22
# Remarriage hazard of divorced and widowed persons by age band (men, women) ⚠.
REMARRIAGE: tuple[tuple[int, float, float], ...] = (
    (40, 0.12, 0.09), (55, 0.06, 0.04), (65, 0.02, 0.01), (200, 0.0, 0.0),
)  # fmt: skip
# Husband chosen as the couple's anchor (residence, household head) ⚠.
VIRILOCAL = 0.85
# Candidates left over in the local marriage market: men who bring in a bride from elsewhere
# (外地媳妇), women who marry out (hukou leaves, 婚迁), women whose husband moves in ⚠.
BRIDE_IN = 0.55
MARRY_OUT = 0.55
GROOM_IN = 0.2

# --------------------------------------------------------------------------- hukou

# 户口性质.  Agricultural → non-agricultural conversions (农转非) per person per year ⚠,
# plus whole-village conversions on land requisition (征地农转非, villages per year) ⚠.
HUKOU_CONVERSION: dict[int, float] = {1950: 0.003, 1978: 0.004, 1985: 0.008, 1995: 0.012,
                                      2005: 0.015, 2015: 0.015}  # fmt: skip
VILLAGE_REQUISITION: dict[int, float] = {1950: 0.0, 1992: 0.0, 1995: 0.008, 2003: 0.015,
                                         2015: 0.01}  # fmt: skip
VILLAGE_REQUISITION_SHARE = 0.7  # of the village's agricultural persons
# Unified resident registration (居民户口): State Council 国发〔2014〕25号 (2014-07-30) ✅
# abolished the agricultural/non-agricultural distinction; provinces implemented it in
# 2015–2016 ◐.  Every registered person gets a hukou_type event on this date.
UNIFIED_HUKOU = (2016, 1, 1)

# --------------------------------------------------------------------------- migration

# Arrivals per resident per year (families counted by member) ⚠, calibrated so the inflow
# (流入) share of residents is 20–30% by 2020, as in China's urban districts (2020 census:
# 人户分离 492 M, floating 376 M of 1.41 bn ✅; 25–40% of residents in large-city districts ◐).
INFLOW_RATE: dict[int, float] = {1950: 0.010, 1958: 0.005, 1978: 0.006, 1985: 0.012,
                                 1990: 0.022, 1995: 0.036, 2000: 0.046, 2005: 0.052,
                                 2010: 0.052, 2015: 0.046, 2020: 0.040, 2025: 0.036}  # fmt: skip
# Share of arrivals whose household registration moves with them (job assignment before
# 1985; graduates, house buyers and 人才引进 later; easier settling after 2014) ◐/⚠.
INFLOW_WITH_HUKOU: dict[int, float] = {1950: 0.9, 1980: 0.9, 1985: 0.6, 1990: 0.35,
                                       2000: 0.15, 2010: 0.12, 2014: 0.18, 2020: 0.22}  # fmt: skip
# Arriving family types: single adult, couple, couple with children ⚠.
INFLOW_FAMILY = (0.55, 0.2, 0.25)
# Floating migrants leaving per family per year; settling (落户, hukou moves here) per year ⚠.
INFLOW_DEPARTURE = 0.12
SETTLED_DEPARTURE = 0.02  # floating persons married to a local
INFLOW_SETTLE: dict[int, float] = {1950: 0.01, 2000: 0.01, 2014: 0.025, 2020: 0.03}
# Agricultural share of arriving migrants' hukou before unification ◐ (~80% of floating
# population held rural hukou in the 2000s).
INFLOW_AGRICULTURAL = 0.8
# Local residents who leave to work elsewhere keeping their hukou here (外出, 流出), ages
# 16–45, per year, for residents of villages; communities ×0.35 ⚠.  Return and settle-away
# rates of those away ⚠.
OUTFLOW_RATE: dict[int, float] = {1950: 0.001, 1978: 0.002, 1985: 0.01, 1990: 0.025,
                                  1995: 0.04, 2000: 0.05, 2010: 0.05, 2020: 0.035,
                                  2025: 0.03}  # fmt: skip
OUTFLOW_URBAN_FACTOR = 0.35
OUTFLOW_SPOUSE_FOLLOWS = 0.6
OUTFLOW_CHILD_FOLLOWS = 0.35  # the rest are left-behind children (留守儿童)
OUTFLOW_RETURN = 0.08
OUTFLOW_SETTLE_AWAY = 0.03
# Permanent departures (hukou and residence leave): ages 18–50 per year, and university
# entrants at 18 moving their hukou to school (common 1977–2000s; optional since ~2005) ◐/⚠.
EMIGRATION = 0.004
STUDENT_HUKOU: dict[int, float] = {1950: 0.005, 1977: 0.02, 1990: 0.04, 2000: 0.10,
                                   2005: 0.14, 2010: 0.10, 2020: 0.06}  # fmt: skip

# --------------------------------------------------------------------------- registry

# Only-child parents' certificates (独生子女父母光荣证): couples whose only child was born
# 1980–2015 (policy-facts.md §4: none after 2015-12-31) ◐; take-up ⚠ by hukou type.
ONLY_CHILD_BORN = (1980, 2015)
ONLY_CHILD_TAKEUP = {"urban": 0.85, "agri": 0.6}
ONLY_CHILD_LAST_ISSUE = (2021, 12, 31)
# Registry retention: persons who died since this year, or left within this many years, are
# kept (a district system built around 2000 holds its deceased and recent leavers) ⚠.
KEEP_DECEASED_SINCE = 1990
KEEP_MOVED_AWAY_YEARS = 10
# Household-registration delay of births: exponential, mean days ⚠ (rule: within one month).
BIRTH_REGISTRATION_MEAN_DAYS = 7.0
# Births registered late (补录, 90 days to ~3 years after the birth) ◐/⚠.
LATE_BIRTH_REGISTRATION = 0.015
# Households: the husband is the head of a couple's household ⚠; widowed or divorced people
# of 70+ living in a married child's household (rural, urban) ◐ (2020 census: about half of
# the rural elderly live with children).
HEAD_IS_HUSBAND = 0.85
ELDERLY_WITH_CHILD = {"rural": 0.6, "urban": 0.4}
# Causes of death by age band (upper age, {category: share}) after the NHC cause-of-death
# statistics (circulatory and cancer lead from middle age; injuries among the young) ◐.
DEATH_CAUSES: tuple[tuple[int, dict[str, float]], ...] = (
    (1, {"围生期疾病": 0.45, "先天异常": 0.25, "呼吸系统疾病": 0.15, "损伤和中毒": 0.05,
        "其他疾病": 0.1}),
    (15, {"损伤和中毒": 0.4, "肿瘤": 0.15, "呼吸系统疾病": 0.15, "先天异常": 0.1,
        "传染病和寄生虫病": 0.08, "其他疾病": 0.12}),
    (45, {"损伤和中毒": 0.3, "肿瘤": 0.25, "循环系统疾病": 0.18, "消化系统疾病": 0.07,
        "传染病和寄生虫病": 0.05, "其他疾病": 0.15}),
    (65, {"肿瘤": 0.36, "循环系统疾病": 0.3, "呼吸系统疾病": 0.08, "损伤和中毒": 0.08,
        "消化系统疾病": 0.05, "内分泌营养和代谢疾病": 0.04, "其他疾病": 0.09}),
    (200, {"循环系统疾病": 0.45, "肿瘤": 0.22, "呼吸系统疾病": 0.14, "内分泌营养和代谢疾病": 0.04,
        "损伤和中毒": 0.04, "消化系统疾病": 0.03, "其他疾病": 0.08}),
)  # fmt: skip
# Ethnic groups of natives and of migrants (GB 3304 code → share) ◐ (Sichuan: Han 94%, Yi,
# Tibetan, Qiang, Tujia, Hui, Miao; an urban district is more Han).
ETHNIC_NATIVE = {"01": 0.975, "07": 0.008, "04": 0.006, "33": 0.004, "03": 0.003, "15": 0.002,
                 "06": 0.002}  # fmt: skip
ETHNIC_MIGRANT = {"01": 0.93, "07": 0.02, "04": 0.01, "15": 0.01, "06": 0.008, "03": 0.008,
                  "33": 0.005, "08": 0.004, "09": 0.003, "12": 0.002}  # fmt: skip
# Share of people with a mobile number on file (alive, 16+) ⚠; share with a former name ⚠.
PHONE_SHARE = 0.9
FORMER_NAME_SHARE = 0.02
# Children taking the mother's surname ◐ (MPS name reports: rising since 2000s).
MOTHER_SURNAME: dict[int, float] = {1950: 0.02, 2000: 0.04, 2020: 0.09}

# --------------------------------------------------------------------------- geography

# Org tree sizing: township/street count by population, shares of kinds, persons per
# village/community and per group/building (the grid norm: a 网格 of 100–400 persons ◐).
TOWNSHIPS = (8, 15)
PERSONS_PER_TOWNSHIP = 60_000
TOWNSHIP_KINDS = {"street": 0.6, "town": 0.25, "township": 0.15}
PERSONS_PER_COMMUNITY = 5_000
PERSONS_PER_VILLAGE = 2_200
GROUP_TARGET = 240
# Where the 1950 population lived and where migrants go (communities vs villages) ⚠.
INITIAL_URBAN_SHARE = 0.35
INFLOW_TO_COMMUNITIES = 0.72
BIRTH_SEX_NAMES = ("M", "F")


@dataclass
class Params:
    """One simulation's parameters: the module tables above unless overridden.

    ``Params(**{"tfr": {...}})`` or ``params.replace(inflow_rate={...})`` change a table; the
    whole object is written to ``truth/params.json``.
    """

    tfr: dict[int, float] = field(default_factory=lambda: dict(TFR))
    asfr_mean: dict[int, float] = field(default_factory=lambda: dict(ASFR_MEAN))
    asfr_sd: dict[int, float] = field(default_factory=lambda: dict(ASFR_SD))
    srb: dict[int, tuple[float, float, float]] = field(default_factory=lambda: dict(SRB))
    twin_rate: dict[int, float] = field(default_factory=lambda: dict(TWIN_RATE))
    hospital_delivery: dict[int, float] = field(default_factory=lambda: dict(HOSPITAL_DELIVERY))
    parity_weights: dict[str, dict[str, tuple[float, ...]]] = field(
        default_factory=lambda: {k: dict(v) for k, v in PARITY_WEIGHTS.items()}
    )
    e0: dict[int, tuple[float, float]] = field(default_factory=lambda: dict(E0))
    infant_mortality: dict[int, float] = field(default_factory=lambda: dict(INFANT_MORTALITY))
    first_marriage_mean: dict[int, tuple[float, float]] = field(
        default_factory=lambda: dict(FIRST_MARRIAGE_MEAN)
    )
    first_marriage_sd: dict[int, tuple[float, float]] = field(
        default_factory=lambda: dict(FIRST_MARRIAGE_SD)
    )
    ever_marry: dict[int, tuple[float, float]] = field(default_factory=lambda: dict(EVER_MARRY))
    divorce: dict[int, float] = field(default_factory=lambda: dict(DIVORCE))
    hukou_conversion: dict[int, float] = field(default_factory=lambda: dict(HUKOU_CONVERSION))
    village_requisition: dict[int, float] = field(default_factory=lambda: dict(VILLAGE_REQUISITION))
    unified_hukou: tuple[int, int, int] = UNIFIED_HUKOU
    inflow_rate: dict[int, float] = field(default_factory=lambda: dict(INFLOW_RATE))
    inflow_with_hukou: dict[int, float] = field(default_factory=lambda: dict(INFLOW_WITH_HUKOU))
    inflow_departure: float = INFLOW_DEPARTURE
    inflow_settle: dict[int, float] = field(default_factory=lambda: dict(INFLOW_SETTLE))
    outflow_rate: dict[int, float] = field(default_factory=lambda: dict(OUTFLOW_RATE))
    outflow_return: float = OUTFLOW_RETURN
    emigration: float = EMIGRATION
    student_hukou: dict[int, float] = field(default_factory=lambda: dict(STUDENT_HUKOU))
    initial_urban_share: float = INITIAL_URBAN_SHARE
    inflow_to_communities: float = INFLOW_TO_COMMUNITIES
    keep_deceased_since: int = KEEP_DECEASED_SINCE
    keep_moved_away_years: int = KEEP_MOVED_AWAY_YEARS

    def replace(self, **changes: Any) -> Params:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict (int keys become strings, tuples lists), with the fixed tables."""
        data = dataclasses.asdict(self)
        data["fixed"] = {
            name: value
            for name, value in globals().items()
            if name.isupper() and isinstance(value, int | float | tuple | dict | str)
        }
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------------- helpers


def by_year(anchors: Mapping[int, Any], years: np.ndarray | range) -> np.ndarray:
    """Interpolate ``{year: value or tuple}`` linearly over ``years`` (flat outside anchors).

    Returns shape ``(len(years),)`` for scalar values and ``(len(years), k)`` for tuples.
    """
    keys = sorted(anchors)
    xs = np.array(keys, dtype=float)
    values = np.array([anchors[k] for k in keys], dtype=float)
    grid = np.asarray(years, dtype=float)
    if values.ndim == 1:
        return np.interp(grid, xs, values)
    return np.stack([np.interp(grid, xs, values[:, j]) for j in range(values.shape[1])], axis=1)


def regime_of(year: int, regimes: tuple[tuple[int, Any], ...]) -> Any:
    """The value of the step function ``((from_year, value), …)`` in force in ``year``."""
    current = regimes[0][1]
    for start, value in regimes:
        if year >= start:
            current = value
    return current


def asfr_schedule(tfr: float, mean: float, sd: float) -> np.ndarray:
    """Age-specific fertility rates for ages 0..MAX_AGE: a gamma shape on ages 15–49.

    The gamma density of (age − 14) is matched to the mean and SD, integrated over each year
    of age, restricted to 15–49 and scaled to sum to ``tfr``.
    """
    lo, hi = ASFR_AGES
    shift = lo - 1.0
    m = mean - shift
    k = (m / sd) ** 2
    theta = sd**2 / m
    fine = np.linspace(lo, hi + 1, (hi + 1 - lo) * 20 + 1)
    x = fine - shift
    log_density = (k - 1) * np.log(x) - x / theta
    density = np.exp(log_density - log_density.max())
    per_age = np.add.reduceat(density[:-1], np.arange(0, len(fine) - 1, 20))
    rates = np.zeros(MAX_AGE + 1)
    rates[lo : hi + 1] = per_age / per_age.sum() * tfr
    return rates


def _standard_survivorship() -> np.ndarray:
    """l(x) for x = 0..MAX_AGE+1 of the Gompertz–Makeham standard (l(0) = 1)."""
    s = MORTALITY_STANDARD
    x = np.arange(MAX_AGE + 2, dtype=float)
    # Cumulative hazard H(x) = a/b(1−e^{−bx}) + c·x + d/g(e^{gx}−1)
    hazard = s["a"] / s["b"] * (1 - np.exp(-s["b"] * x)) + s["c"] * x
    hazard += s["d"] / s["g"] * (np.exp(s["g"] * x) - 1)
    return np.exp(-hazard)


def _brass(alpha: float, standard_logit: np.ndarray) -> np.ndarray:
    survivorship = 1.0 / (1.0 + np.exp(2.0 * (alpha + standard_logit)))
    survivorship[0] = 1.0
    return survivorship


def _life_expectancy(survivorship: np.ndarray) -> float:
    person_years = (survivorship[:-1] + survivorship[1:]) / 2.0
    person_years[0] = survivorship[1] + 0.3 * (1 - survivorship[1])  # a0 ≈ 0.3
    return float(person_years.sum())


def life_table_q(e0: float, q0: float | None = None) -> np.ndarray:
    """Probabilities of dying q(x), x = 0..MAX_AGE (q(MAX_AGE) = 1), for a target e0.

    With ``q0`` the first year's mortality is fixed (the infant mortality rate) and the Brass
    level is solved for the remaining ages, so e0 is still met.
    """
    standard = _standard_survivorship()
    with np.errstate(divide="ignore"):
        logit = 0.5 * np.log((1 - standard) / standard)
    logit[0] = -np.inf

    def table(alpha: float) -> np.ndarray:
        survivorship = _brass(alpha, logit)
        if q0 is not None:
            survivorship[1:] = (1 - q0) * survivorship[1:] / survivorship[1]
        return survivorship

    lo, hi = -4.0, 4.0
    for _ in range(60):  # bisection on α: e0 decreases as α grows
        mid = (lo + hi) / 2
        if _life_expectancy(table(mid)) > e0:
            lo = mid
        else:
            hi = mid
    survivorship = table((lo + hi) / 2)
    q = 1.0 - survivorship[1:] / survivorship[:-1]
    q[-1] = 1.0
    return np.clip(q, 0.0, 1.0)


def first_marriage_pmf(mean: float, sd: float, ever: float, min_age: int) -> np.ndarray:
    """Probability of a first marriage at each age 0..MAX_AGE (sums to ``ever``).

    Ages are "age reached in the calendar year" (year − birth year), whose mean equals the
    mean exact age at marriage when marriage days are spread over the year.  The exact age is
    ``min_age + Y`` with Y log-normal, mean ``mean + 0.5 − min_age``, cut at 60.
    """
    m = max(mean + 0.5 - min_age, 0.6)
    sigma2 = math.log(1 + (sd / m) ** 2)
    mu = math.log(m) - sigma2 / 2
    sigma = math.sqrt(sigma2)

    def cdf(x: float) -> float:
        if x <= 0:
            return 0.0
        return 0.5 * (1 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2))))

    cumulative = np.array([cdf(float(j)) for j in range(0, 61 - min_age + 1)])
    pmf = np.zeros(MAX_AGE + 1)
    pmf[min_age:61] = np.diff(cumulative)
    return pmf / pmf.sum() * ever


def hazard_from_pmf(pmf: np.ndarray) -> np.ndarray:
    """Hazard h(a) = p(a) / P(not yet married at a)."""
    before = np.concatenate([[0.0], np.cumsum(pmf)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(1 - before > 1e-9, pmf / (1 - before), 0.0)
    return np.clip(hazard, 0.0, 1.0)
