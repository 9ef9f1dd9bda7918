"""Language detection accuracy on article titles (short texts), by corpus.

Not a test: the corpora stay outside the repository. Each record's own ``lang`` is the truth;
the title (or, when a record has none, its first line of body text, cut to 80 characters) is
what :func:`search_service.analysis.detect_language` sees.

Example::

    .venv/bin/python -m bench.detect --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

from search_service.analysis import detect_language

REPO = Path(__file__).resolve().parent.parent


def short_text(article: dict) -> str:
    title = (article.get("title") or "").strip()
    if title:
        return title
    body = (article.get("body") or "").strip().split("\n", 1)[0]
    return body[:80].rsplit(" ", 1)[0] if len(body) > 80 else body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("SEARCH_BENCH_DATA", REPO.parent / "shared" / "data")),
    )
    parser.add_argument("--max-records", type=int, default=5000, help="per corpus")
    parser.add_argument("--errors", type=int, default=0, help="print N misdetected titles")
    args = parser.parse_args(argv)
    total = Counter()
    for path in sorted((args.data_dir / "corpora").glob("*.jsonl")):
        confusion: Counter[str] = Counter()
        wrong = []
        with path.open(encoding="utf-8") as lines:
            for n, line in enumerate(lines):
                if n >= args.max_records:
                    break
                article = json.loads(line)
                text = short_text(article)
                if not text or not article.get("lang"):
                    continue
                guess = detect_language(text) or "-"
                confusion[guess] += 1
                if guess != article["lang"] and len(wrong) < args.errors:
                    wrong.append(f"    {guess}: {text}")
                total["right" if guess == article["lang"] else "wrong"] += 1
                lang = article["lang"]
        seen = sum(confusion.values())
        accuracy = confusion[lang] / seen if seen else 0.0
        detail = ", ".join(f"{code} {count}" for code, count in confusion.most_common())
        print(f"{path.name:28} {lang}  accuracy {accuracy:.4f}  n={seen}  ({detail})")
        if wrong:
            print("\n".join(wrong))
    overall = total["right"] / max(total["right"] + total["wrong"], 1)
    print(f"{'all':28}     accuracy {overall:.4f}  n={total['right'] + total['wrong']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
