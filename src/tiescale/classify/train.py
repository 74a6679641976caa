"""Training the classifier from labelled text, and the data readers the evaluation shares.

Data (see ``data/README.md``):
- ``data/brand_posts.csv``: brand posts written for this project, three classes, 16 industries;
- ``<shared>/text/youtube-spam``: YouTube comments, self-promotional (1) or genuine (0), per video;
- ``<shared>/text/sms-spam``: SMS, spam or ham.

The promotional head learns from all three (brand posts: promotional vs the rest; comments and
SMS: spam vs genuine); the relational head learns from the brand posts that are not promotional.

    python -m tiescale.classify.train --shared ../shared/data   # writes the shipped model.json
"""
from __future__ import annotations

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Sequence
from typing import Any

import numpy as np

from .features import featurize
from .model import MODEL_FILE, Head, Model

DATA_DIR = Path(__file__).resolve().parent / "data"
BRAND_POSTS = DATA_DIR / "brand_posts.csv"
DEFAULT_BITS = 18
DEFAULT_CUE_WEIGHT = 0.25


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # promotional | relational | value | genuine (a real comment or SMS that is not promotional)
    source: str  # brand | youtube:<video> | sms
    group: str = ""  # the industry of a brand post


def read_brand_posts(path: Path = BRAND_POSTS) -> list[Example]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], row["label"], "brand", row["industry"]) for row in csv.DictReader(handle)]


def read_youtube(shared: Path) -> list[Example]:
    """Every comment of the YouTube spam collection, ``source`` naming its video."""
    examples = []
    for path in sorted((shared / "text" / "youtube-spam").glob("*.csv")):
        video = path.stem.split("-", 1)[-1]
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                label = "promotional" if row["CLASS"].strip() == "1" else "genuine"
                examples.append(Example(row["CONTENT"], label, f"youtube:{video}"))
    return examples


def read_sms(shared: Path) -> list[Example]:
    path = shared / "text" / "sms-spam" / "SMSSpamCollection.tsv"
    examples = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        next(handle)
        for line in handle:
            label, _, text = line.rstrip("\n").partition("\t")
            if text:
                examples.append(Example(text, "promotional" if label == "spam" else "genuine", "sms"))
    return examples


def read_id_sms(shared: Path) -> list[Example]:
    """The Indonesian SMS set (research use only, never in the shipped model): promo and fraud are
    promotional (both are spam, as in the SMS collection), normal messages genuine; ``group`` keeps
    the set's own category."""
    path = shared / "text" / "multilingual" / "id-sms-spam" / "id_sms_spam_70.tsv"
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            label = "genuine" if row["category"] == "normal" else "promotional"
            examples.append(Example(row["text"], label, "id-sms", row["category"]))
    return examples


@dataclass(frozen=True)
class TrainingConfig:
    bits: int = DEFAULT_BITS
    cue_weight: float = DEFAULT_CUE_WEIGHT
    c_promotional: float = 8.0
    c_relational: float = 16.0
    brand_weight: float = 8.0  # a written brand post counts as this many comments
    sms_weight: float = 0.0  # SMS spam lowered F1 on held-out YouTube videos: off by default


def matrix(texts: Sequence[str], bits: int, cue_weight: float) -> Any:  # a scipy.sparse.csr_matrix
    """A CSR matrix of hashed features, one row per text."""
    from scipy.sparse import csr_matrix

    indptr: list[int] = [0]
    indices: list[int] = []
    values: list[float] = []
    for text in texts:
        features, _ = featurize(text, bits, cue_weight)
        indices.extend(features)
        values.extend(features.values())
        indptr.append(len(indices))
    return csr_matrix((np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                       np.asarray(indptr, dtype=np.int64)), shape=(len(texts), 1 << bits))


def _fit_head(texts: list[str], targets: list[int], weights: list[float], c: float, config: TrainingConfig) -> Head:
    from sklearn.linear_model import LogisticRegression

    x = matrix(texts, config.bits, config.cue_weight)
    regression = LogisticRegression(C=c, max_iter=5000, solver="liblinear")
    regression.fit(x, np.asarray(targets), sample_weight=np.asarray(weights))
    return Head(float(regression.intercept_[0]), regression.coef_[0].astype(np.float32))


def train(examples: Sequence[Example], config: TrainingConfig = TrainingConfig(),
          promotional_only: bool = False) -> Model:
    """Fit both heads on ``examples``; deterministic for the same input.

    ``promotional_only``: examples without relational and value posts (an evaluation that holds
    every brand post out) give a relational head that says 50/50.
    """
    texts, targets, weights = [], [], []
    for ex in examples:
        texts.append(ex.text)
        targets.append(int(ex.label == "promotional"))
        weights.append(config.brand_weight if ex.source == "brand"
                       else config.sms_weight if ex.source in ("sms", "id-sms") else 1.0)
    keep = [i for i, w in enumerate(weights) if w > 0]
    texts, targets, weights = [texts[i] for i in keep], [targets[i] for i in keep], [weights[i] for i in keep]
    if len(set(targets)) < 2:
        raise ValueError("training needs promotional and other examples")
    promotional = _fit_head(texts, targets, weights, config.c_promotional, config)
    talk = [ex for ex in examples if ex.label in ("relational", "value")]
    if promotional_only and not talk:
        relational = Head(0.0, np.zeros(1 << config.bits, dtype=np.float32))
    elif {ex.label for ex in talk} != {"relational", "value"}:
        raise ValueError("training needs relational and value brand posts")
    else:
        relational = _fit_head([ex.text for ex in talk], [int(ex.label == "relational") for ex in talk],
                               [1.0] * len(talk), config.c_relational, config)
    sources: dict[str, int] = {}
    for ex in examples:
        key = ex.source.split(":")[0]
        sources[key] = sources.get(key, 0) + 1
    about = {"trained_on": dict(sorted(sources.items())), "config": config.__dict__}
    return Model(config.bits, config.cue_weight, promotional, relational, 0.5, about)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[4].parent / "shared" / "data",
                        help="the folder holding text/youtube-spam and text/sms-spam")
    parser.add_argument("--out", type=Path, default=DATA_DIR / MODEL_FILE)
    args = parser.parse_args(argv)
    if not (args.shared / "text").is_dir():
        print(f"error: {args.shared}/text not found (the shared labelled data)", file=sys.stderr)
        return 2
    config = TrainingConfig()
    examples = read_brand_posts() + read_youtube(args.shared) + (read_sms(args.shared) if config.sms_weight else [])
    model = train(examples, config)
    model.save(args.out)
    print(f"trained on {len(examples):,} texts {model.about['trained_on']}; wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
