"""A CLAP ranker: the scene's directive scored against each track's audio embedding.

CLAP (contrastive language–audio pretraining; LAION's `laion/larger_clap_music` is
trained on music) embeds text and audio in one space. Each track's embedding is
computed once from its analysed excerpt (10 s around the excerpt's middle, at the
feature extractor's rate) and kept beside the music index, keyed by the model and the
index entry; a scene's score for a track is the cosine of the two embeddings. The model
loads from a local folder or the Hugging Face cache only (no download here).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from ..core.errors import BackendUnavailable
from .features import TrackFeatures, decode
from .pick import SceneWant

log = logging.getLogger(__name__)

DEFAULT_MODEL = "laion/larger_clap_music"
CLIP_S = 10.0


class ClapRanker:
    """Scores tracks by CLAP text–audio similarity."""

    name = "clap"

    def __init__(self, model: str = DEFAULT_MODEL, music_dir: Path | None = None,
                 cache_path: Path | None = None, device: str = "cpu") -> None:  # fmt: skip
        try:
            import torch
            from transformers import AutoTokenizer, ClapFeatureExtractor, ClapModel
        except ImportError as exc:
            raise BackendUnavailable(f"CLAP needs torch and transformers ({exc.name})") from None
        try:
            self.model = ClapModel.from_pretrained(model, local_files_only=True).eval()
            self.tokenizer = AutoTokenizer.from_pretrained(model, local_files_only=True)
            self.extractor = ClapFeatureExtractor.from_pretrained(model, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(
                f"the CLAP model {model} is not on this machine ({type(exc).__name__})"
            ) from None
        self._torch = torch
        self.model_name = model
        self.device = "cpu" if device == "auto" else device
        self.model.to(self.device)
        self.music_dir = music_dir
        self.cache_path = cache_path
        self._audio: dict[str, np.ndarray] = self._load_cache()

    def settings_key(self) -> str:
        return f"clap-1:{self.model_name}"

    def _entry_key(self, t: TrackFeatures) -> str:
        return hashlib.sha256(
            f"{self.model_name}\x1f{json.dumps(t.to_dict())}".encode()
        ).hexdigest()[:20]

    def _load_cache(self) -> dict[str, np.ndarray]:
        if self.cache_path is None or not self.cache_path.exists():
            return {}
        try:
            with np.load(self.cache_path) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError):
            return {}

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        from ..core.atomic import atomic_writer

        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(self.cache_path) as fh:
            np.savez(fh, allow_pickle=False, **self._audio)

    def text_embedding(self, texts: list[str]) -> np.ndarray:
        inputs = self.tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        inputs = {
            k: v.to(self.device) for k, v in inputs.items() if k in ("input_ids", "attention_mask")
        }
        with self._torch.no_grad():
            out = self.model.get_text_features(**inputs)
        out = getattr(out, "pooler_output", out)
        e = out.cpu().numpy().astype(np.float32)
        return e / (np.linalg.norm(e, axis=1, keepdims=True) + 1e-9)

    def audio_embedding(self, waves: list[np.ndarray]) -> np.ndarray:
        sr = self.extractor.sampling_rate
        features = self.extractor(waves, sampling_rate=sr, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in features.items()}
        with self._torch.no_grad():
            out = self.model.get_audio_features(**inputs)
        out = getattr(out, "pooler_output", out)
        e = out.cpu().numpy().astype(np.float32)
        return e / (np.linalg.norm(e, axis=1, keepdims=True) + 1e-9)

    def track_embedding(self, t: TrackFeatures) -> np.ndarray:
        k = self._entry_key(t)
        if k not in self._audio:
            if self.music_dir is None:
                raise BackendUnavailable("the CLAP ranker was given no music folder")
            a, b = t.excerpt or [0.0, t.duration]
            start = max(0.0, (a + b) / 2 - CLIP_S / 2)
            wave = decode(self.music_dir / t.path, start, CLIP_S, self.extractor.sampling_rate)
            # no longer than the model takes: a longer input is cropped at random
            wave = wave[: int(getattr(self.extractor, "nb_max_samples", len(wave)))]
            self._audio[k] = self.audio_embedding([wave.mean(axis=1)])[0]
            self._dirty = True
        return self._audio[k]

    def scores(self, want: SceneWant, tracks: list[TrackFeatures]) -> list[float]:
        if not tracks:
            return []
        self._dirty = False
        audio = np.stack([self.track_embedding(t) for t in tracks])
        if self._dirty:
            self._save_cache()
        text = self.text_embedding([want.text or "music"])[0]
        return [float(x) for x in audio @ text]
