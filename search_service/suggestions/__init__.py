"""As-you-type help: completions and phrases from the index's own vocabulary, and related
articles."""
