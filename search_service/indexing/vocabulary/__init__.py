"""The index's vocabulary: each segment's words and frequent phrases per language group,
counted once when the segment is written and stored beside it (``<segment id>.vocab``), so
that no request pays for counting them: what ``/suggest`` completes and "did you mean"
corrects towards.

- :mod:`.tables`: the sorted string tables with a count each, as written and as mapped;
- :mod:`.vocabfile`: the ``.vocab`` file that holds a segment's tables;
- :mod:`.words`: a segment's words, and its articles per language group;
- :mod:`.phrases`: a segment's frequent phrases, and taking deleted articles' ones off;
- :mod:`.counting`: counting a segment, and every segment a commit left without a file;
- :mod:`.lexicon`: completions and near words over a table, and across segments;
- :mod:`.live`: whether a word is still in a live article of a segment with deletions;
- :mod:`.cache`: each process's lexicons of the live build, read once per segment.

A segment written without a file (by an older version, or a writer that skipped
:func:`.counting.write_missing`) is counted the same way when a process first reads it.
"""
