"""Search keys for Chinese names: full pinyin without tones or spaces, and initials.

`name_keys("张伟") == ("zhangwei", "zw")`. Each character's reading is looked up once and
cached (a district has a few thousand distinct name characters), so keys for a million names
cost well under a second; a surname's reading overrides the character's common one (单 is
Shan as a surname, not dan).
"""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS: dict[str, str] = {
    "单": "shan", "曾": "zeng", "解": "xie", "仇": "qiu", "朴": "piao", "查": "zha", "区": "ou",
    "盖": "ge", "乐": "yue", "覃": "qin", "缪": "miao", "翟": "zhai", "秘": "bi", "种": "chong",
    "折": "she", "召": "shao", "尉": "yu", "员": "yun", "宓": "mi", "隗": "wei", "繁": "po",
    "长": "zhang", "万": "wan", "那": "na", "句": "gou", "尿": "niao", "能": "nai", "车": "che",
    "藏": "zang", "柏": "bai", "燕": "yan", "哈": "ha", "任": "ren", "沈": "shen", "华": "hua",
}  # fmt: skip
COMPOUND_SURNAMES: dict[str, tuple[str, str]] = {
    "万俟": ("mo", "qi"), "尉迟": ("yu", "chi"), "长孙": ("zhang", "sun"),
    "令狐": ("ling", "hu"), "欧阳": ("ou", "yang"), "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"), "上官": ("shang", "guan"), "皇甫": ("huang", "fu"),
    "澹台": ("tan", "tai"),
}  # fmt: skip


MAX_PINYIN, MAX_INITIALS = 200, 50

# Every toneless Mandarin syllable (pypinyin's readings, ü as v), to tell typed full pinyin
# ("zhangwei", "wangj") from initials ("zw", "wjg").
SYLLABLES = frozenset(
    """
    a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu
    ca cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou
    chu chua chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang
    dao de dei den deng di dia dian diao die din ding diu dong dou du duan dui dun duo e ei en
    eng er fa fan fang fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou
    gu gua guai guan guang gui gun guo ha hai han hang hao he hei hen heng hong hou hu hua huai
    huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai
    kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang
    lao le lei len leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv
    lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan
    nang nao ne nei nen neng ni nia nian niang niao nie nin ning niu nong nou nu nuan nun nuo
    nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi qia
    qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou
    ru rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei
    shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun
    suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa
    wai wan wang wei wen weng wo wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan
    xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze
    zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai
    zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
    """.split()  # noqa: SIM905 (a word list reads better than 420 quoted strings)
)
_PREFIXES = frozenset(s[:i] for s in SYLLABLES for i in range(1, len(s) + 1))


@lru_cache(maxsize=65536)
def char_reading(char: str) -> str:
    """The toneless reading of one character ('' for anything that is not Chinese)."""
    if char.isascii():
        return char.lower() if char.isalnum() else ""
    reading = lazy_pinyin(char, style=Style.NORMAL, errors="ignore", v_to_u=False)
    return reading[0].replace("ü", "v") if reading else ""


def syllables(name: str) -> list[str]:
    name = "".join(name.split()).replace("·", "").replace("•", "")
    if not name:
        return []
    for surname, reading in COMPOUND_SURNAMES.items():
        if name.startswith(surname):
            head = list(reading)
            rest = name[len(surname) :]
            break
    else:
        head = [SURNAME_READINGS.get(name[0]) or char_reading(name[0])]
        rest = name[1:]
    return [s for s in head + [char_reading(c) for c in rest] if s]


@lru_cache(maxsize=262144)
def name_keys(name: str) -> tuple[str, str]:
    """(full pinyin, initials) of a name, lower case, no tones, no spaces."""
    parts = syllables(name)
    # Bounded to the registry's columns; a prefix of a key still finds the name.
    return "".join(parts)[:MAX_PINYIN], "".join(part[0] for part in parts)[:MAX_INITIALS]


def normalise_query(text: str) -> str:
    """A typed pinyin query as stored: lower case, no spaces, apostrophes or tones."""
    cleaned = text.strip().lower().replace("ü", "v").replace("'", "").replace("’", "")
    return "".join(cleaned.split())


def is_pinyin_query(text: str) -> bool:
    cleaned = normalise_query(text)
    return bool(cleaned) and cleaned.isascii() and cleaned.isalpha()


@lru_cache(maxsize=4096)
def is_full_pinyin(text: str) -> bool:
    """True if `text` is whole syllables, the last possibly cut short ("zhangw", "wangjianguo");
    False for what can only be initials ("zw", "wjg")."""
    if not text:
        return False
    if text in _PREFIXES:
        return True
    for cut in range(min(6, len(text) - 1), 0, -1):
        if text[:cut] in SYLLABLES and is_full_pinyin(text[cut:]):
            return True
    return False
