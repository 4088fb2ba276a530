"""Small text helpers shared by the ``renkou.lib`` modules (no Django imports)."""

from __future__ import annotations

# Full-width forms U+FF10–U+FF19 (０-９), U+FF21–U+FF3A (Ａ-Ｚ) and U+FF41–U+FF5A (ａ-ｚ)
# sit exactly 0xFEE0 above their ASCII counterparts; U+3000 is the ideographic space.
_FULLWIDTH_OFFSET = 0xFEE0
_FULLWIDTH_TABLE: dict[int, str] = {
    **{cp + _FULLWIDTH_OFFSET: chr(cp) for cp in range(ord("0"), ord("9") + 1)},
    **{cp + _FULLWIDTH_OFFSET: chr(cp) for cp in range(ord("A"), ord("Z") + 1)},
    **{cp + _FULLWIDTH_OFFSET: chr(cp) for cp in range(ord("a"), ord("z") + 1)},
    0x3000: " ",
}


def normalise_digits(text: str) -> str:
    """Turn full-width digits, Latin letters and the ideographic space into ASCII.

    Chinese input methods in full-width mode produce ``１１０１０５…`` and ``Ｘ``; everything
    else (including Chinese punctuation) is left alone so names are never altered.
    """
    return text.translate(_FULLWIDTH_TABLE)


def remove_whitespace(text: str) -> str:
    """Drop every kind of whitespace, including U+3000, tabs and line breaks."""
    return "".join(text.split())
