"""The shipped classifier: two linear heads over hashed features, loaded from JSON.

Head ``promotional`` says whether a text sells or convinces; head ``relational`` says, for the
rest, whether it is conversation (relational) or informs and entertains (value). Probabilities:
``P(promotional) = p``, ``P(relational) = (1 - p) q``, ``P(value) = (1 - p)(1 - q)``.
The weights are float16 arrays in base64 inside a JSON file: no pickle, no network, loaded in
milliseconds.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from collections.abc import Iterable

import numpy as np

from ..records import UsageError
from .cues import describe
from .features import featurize

LABELS = ("promotional", "relational", "value")
MODEL_FILE = "model.json"


@dataclass
class Verdict:
    """What the classifier says about one text."""

    label: str
    confidence: float
    cues: list[str] = field(default_factory=list)
    probabilities: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "confidence": self.confidence, "cues": list(self.cues),
                "probabilities": dict(self.probabilities)}


@dataclass
class Head:
    """One logistic regression: ``sigmoid(bias + w . x)``."""

    bias: float
    weights: np.ndarray  # float32, length 2**bits

    def score(self, features: dict[int, float]) -> float:
        w = self.weights
        return float(self.bias + sum(w[i] * v for i, v in features.items()))

    def to_json(self, prune: float = 0.005) -> dict[str, Any]:
        """Only the weights above ``prune`` in size: bucket numbers (uint32) and values (float16)."""
        keep = np.flatnonzero(np.abs(self.weights) >= prune).astype("<u4")
        values = self.weights[keep].astype("<f2")
        return {"bias": float(self.bias), "buckets_u32_b64": base64.b64encode(keep.tobytes()).decode("ascii"),
                "weights_f16_b64": base64.b64encode(values.tobytes()).decode("ascii")}

    @classmethod
    def from_json(cls, data: dict[str, Any], size: int) -> Head:
        buckets = np.frombuffer(base64.b64decode(data["buckets_u32_b64"]), dtype="<u4")
        values = np.frombuffer(base64.b64decode(data["weights_f16_b64"]), dtype="<f2")
        if buckets.size != values.size or (buckets.size and int(buckets.max()) >= size):
            raise UsageError("classifier model: a head's buckets and weights do not match")
        weights = np.zeros(size, dtype=np.float32)
        weights[buckets] = values.astype(np.float32)
        return cls(float(data["bias"]), weights)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass
class Model:
    bits: int
    cue_weight: float
    promotional: Head
    relational: Head
    threshold: float = 0.5  # P(promotional) at which a text counts as promotional
    about: dict[str, Any] = field(default_factory=dict)

    def verdict(self, text: str) -> Verdict:
        features, cues = featurize(text, self.bits, self.cue_weight)
        p = _sigmoid(self.promotional.score(features))
        q = _sigmoid(self.relational.score(features))
        probabilities = {"promotional": p, "relational": (1 - p) * q, "value": (1 - p) * (1 - q)}
        if p >= self.threshold:
            label = "promotional"
        else:
            label = "relational" if q >= 0.5 else "value"
        return Verdict(label, round(float(probabilities[label]), 3), describe(cues, label),
                       {k: round(float(v), 3) for k, v in probabilities.items()})

    def to_json(self) -> dict[str, Any]:
        return {"format": "tiescale-classifier/1", "bits": self.bits, "cue_weight": self.cue_weight,
                "threshold": self.threshold, "about": {k: v for k, v in self.about.items() if k != "id"},
                "heads": {"promotional": self.promotional.to_json(), "relational": self.relational.to_json()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        if data.get("format") != "tiescale-classifier/1":
            raise UsageError(f"classifier model: unknown format {data.get('format')!r}")
        size = 1 << int(data["bits"])
        heads = data["heads"]
        return cls(int(data["bits"]), float(data["cue_weight"]), Head.from_json(heads["promotional"], size),
                   Head.from_json(heads["relational"], size), float(data.get("threshold", 0.5)),
                   dict(data.get("about", {})))

    @property
    def model_id(self) -> str:
        """A fingerprint of the weights (the shipped model's file hash), for caches of verdicts."""
        if "id" not in self.about:
            self.about["id"] = hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:12]
        return str(self.about["id"])

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")


def load_model(path: Path | None = None) -> Model:
    """The model shipped in the package, or one saved with :meth:`Model.save`."""
    if path is None:
        return _shipped_model()
    try:
        return Model.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"{path}: not a tiescale classifier model ({exc})") from None


@lru_cache(maxsize=1)
def _shipped_model() -> Model:
    text = resources.files(__package__).joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
    model = Model.from_json(json.loads(text))
    model.about["id"] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return model


def classify_texts(texts: Iterable[str], model: Model | None = None) -> list[Verdict]:
    """One verdict per text, in order. Empty texts are ``value`` with no cue and confidence 0."""
    model = model or load_model()
    verdicts = []
    for text in texts:
        if not text or not text.strip():
            verdicts.append(Verdict("value", 0.0, [], {"promotional": 0.0, "relational": 0.0, "value": 0.0}))
        else:
            verdicts.append(model.verdict(text))
    return verdicts
