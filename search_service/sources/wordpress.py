"""WordPress post content as readers see it: ``body_format = "wordpress"``.

``post_content`` holds HTML plus markup only WordPress expands when it renders a page:
Gutenberg block comments (``<!-- wp:paragraph -->``), shortcodes (``[caption …]…[/caption]``,
``[gallery ids="…"]``) and embeds (a bare URL on its own line, ``[embed]URL[/embed]``, a
``wp:embed`` block) that become players. Indexed as stored, ``aligncenter`` would find most
articles and snippets would show brackets. Here a shortcode's text is kept (a caption is
read), its attributes never are, and embeds, galleries and media players are dropped whole.

A shortcode is told from ordinary bracketed text (``[sic]``, ``[1]``) by its form: it has
``name="value"`` attributes, a closing ``[/name]``, or a name WordPress itself registers.
"""

from __future__ import annotations

import re

from ..articles import html_to_text

# Shortcodes WordPress core registers (a bare ``[gallery]`` is one, ``[sic]`` is not).
CORE = ("caption", "wp_caption", "gallery", "playlist", "audio", "video", "embed")
# Dropped with everything between their tags: what they show is media, not text.
DROPPED = ("gallery", "playlist", "audio", "video", "embed")
_NAME = r"[A-Za-z][\w-]*"
_EMBED_BLOCK = re.compile(
    r"<!--\s*wp:(?:core-)?embed\b.*?<!--\s*/wp:(?:core-)?embed\S*\s*-->", re.DOTALL
)
_DROPPED_PAIR = re.compile(
    rf"\[({'|'.join(DROPPED)})\b[^\]]*\].*?\[/\1\]", re.DOTALL | re.IGNORECASE
)
_OPEN = re.compile(rf"\[({_NAME})((?:\s+[^\]]*)?)/?\]")
_CLOSE = re.compile(rf"\[/({_NAME})\]")
_ATTRIBUTE = re.compile(r"^\s+[\w-]+\s*=")
_ESCAPED = re.compile(rf"\[(\[/?{_NAME}[^\]]*\])\]")
_BARE_URL_LINE = re.compile(r"^\s*https?://\S+\s*$", re.MULTILINE)


def wordpress_to_text(content: str) -> str:
    """The text a reader sees of a post's ``post_content``."""
    content = _EMBED_BLOCK.sub("\n", content)
    content = _DROPPED_PAIR.sub("\n", content)
    content = _BARE_URL_LINE.sub("", content)  # an auto-embed: WordPress shows a player
    closed = {name.lower() for name in _CLOSE.findall(content)}
    # ``[[caption]]`` is WordPress's way of writing a literal ``[caption]``: kept, unescaped.
    literals: list[str] = []

    def keep_literal(match: re.Match[str]) -> str:
        literals.append(match.group(1))
        return f"\ue000{len(literals) - 1}\ue001"

    def strip(match: re.Match[str]) -> str:
        name, rest = match.group(1).lower(), match.group(2)
        if name in CORE or name in closed or _ATTRIBUTE.match(rest):
            return " "
        return match.group(0)

    content = _ESCAPED.sub(keep_literal, content)
    content = _OPEN.sub(strip, content)
    content = _CLOSE.sub(" ", content)
    text = html_to_text(content)
    return re.sub("\ue000(\\d+)\ue001", lambda m: literals[int(m.group(1))], text)
