"""A TEXT field that also keeps its words unstemmed, for "did you mean" and suggestions.

Kept apart from :mod:`.spelling` because the schema (pickled into every build) refers to it.
"""

from __future__ import annotations

from whoosh.fields import TEXT, FieldType, SpellField


class _UnstemmedSpellField(SpellField):
    """Whoosh's SpellField passes ``nomorph`` where analyzers expect ``no_morph``, so its
    words come out stemmed; this one passes the keyword the analyzers read."""

    def index(self, value, boost=1.0, **kwargs):
        return FieldType.index(self, value, boost=boost, no_morph=True, **kwargs)


class SpelledText(TEXT):
    """A TEXT field that also indexes its words unstemmed under ``spell_<name>`` (when its
    analyzer stems; otherwise the field's own terms are already the words)."""

    def subfields(self):
        yield "", self
        if self.separate_spelling():
            yield self.spelling_prefix, _UnstemmedSpellField(self.analyzer)
