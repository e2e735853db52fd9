"""Generated provider logos: an SVG badge with the provider's initials.

We ship no supplier artwork (trademarks, licences), yet Connect screens and apps want an image
per provider. A badge made from the name and id is the same on every installation, needs no
files, and is readable: the colour is darkened until white text meets WCAG AA (4.5:1).
"""

from __future__ import annotations

import colorsys
import hashlib
from xml.sax.saxutils import escape, quoteattr

from tariffconnect.providers.schemas import Provider

MIN_CONTRAST = 4.5
# Connector words a reader skips when abbreviating ("Outfox the Market" is OM, not OT).
_SKIPPED_WORDS = frozenset({"and", "of", "the", "&", "de", "del", "di", "la", "le", "und"})
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"


def path(provider_id: str) -> str:
    """Where the badge is served (`GET /providers/{id}/logo.svg`, needing no token)."""
    return f"/providers/{provider_id}/logo.svg"


def initials(name: str) -> str:
    """Up to two letters: the first of each of the first two words, or for a one-word name
    its first two letters (`Octopus Energy` -> OE, `Tibber` -> TI, `E.ON` -> EO)."""
    words = [w for w in name.split() if w.casefold() not in _SKIPPED_WORDS]
    letters = ["".join(ch for ch in word if ch.isalnum()) for word in words]
    letters = [w for w in letters if w]
    if not letters:
        return "?"
    if len(letters) == 1:
        return letters[0][:2].upper()
    return (letters[0][0] + letters[1][0]).upper()


def _luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG relative luminance of an sRGB colour with channels in 0..1."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(rgb: tuple[float, float, float]) -> float:
    return 1.05 / (_luminance(rgb) + 0.05)


def _shade(hue: float, lightness: float) -> tuple[float, float, float]:
    """The colour as it will be written (8 bits a channel), so contrast is checked on that."""
    rgb = colorsys.hls_to_rgb(hue, lightness, 0.6)
    r, g, b = (round(c * 255) / 255 for c in rgb)
    return r, g, b


def background(provider_id: str) -> str:
    """A colour derived from the id alone (stable across releases): hash -> hue, then as
    light as white text allows, so hues stay tellable apart."""
    digest = hashlib.sha256(provider_id.encode()).digest()
    hue = int.from_bytes(digest[:4], "big") % 360 / 360
    lightness = 0.45
    while contrast_with_white(_shade(hue, lightness)) < MIN_CONTRAST:
        lightness -= 0.01  # terminates: black is 21:1
    return "#" + "".join(f"{round(c * 255):02x}" for c in _shade(hue, lightness))


def render_svg(provider: Provider) -> str:
    """The badge; the name and initials are XML-escaped (the catalogue is operator-edited)."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"'
        ' role="img" aria-labelledby="title">'
        f'<title id="title">{escape(provider.display_name)}</title>'
        f'<rect width="64" height="64" rx="12" fill="{background(provider.id)}"/>'
        '<text x="32" y="32" dy="0.35em" text-anchor="middle" font-size="26"'
        f' font-weight="600" font-family={quoteattr(_FONT)} fill="#ffffff">'
        f"{escape(initials(provider.display_name))}</text>"
        "</svg>"
    )
