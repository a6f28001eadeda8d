"""Face emotions with CLIP (open_clip): zero-shot with prompt ensembles, or fine-tuned.

Each face box on a page (Manga109's, or the transcript's) is cropped with a margin and
classified over KangaiSet's seven classes. Zero-shot, a class is the mean embedding of
several prompts ("a manga drawing of a happy face", ...); fine-tuned, the same
classifier runs on weights trained by `m2m-reader train emotion`. The page's profile is
M2M-Gen's: the share of faces whose top class is each emotion ("share"), or the mean
of the faces' probabilities ("mean"). A page read from its pixels on which no face was
found is read panel by panel instead (the page reading's panels, else the whole page),
with prompts about the scene a panel shows.

Weights are looked up in the Hugging Face cache only (never downloaded here); a missing
file is one sentence saying to run `m2m-reader models download clip`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ..analysis.emotions import EMOTIONS, Profile, neutral_profile, normalise
from ..books.model import Book
from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable
from .device import pick_device, require_torch
from .holder import ModelHolder

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "m2m-reader/clip-emotion"
ADJECTIVES = {
    "anger": "angry",
    "disgust": "disgusted",
    "fear": "scared",
    "happiness": "happy",
    "neutral": "neutral",
    "sadness": "sad",
    "surprise": "surprised",
}
PROMPTS = (
    "a manga drawing of a {} face",
    "a {} face in a manga",
    "a black and white comic drawing of a {} character",
    "an anime character looking {}",
    "a close-up of a {} face, manga style",
)
PANEL_PROMPTS = (  # for panels of a page on which no face was found
    "a manga panel of a {} scene",
    "a black and white comic panel where someone is {}",
    "a manga page showing a {} moment",
)
MIN_PANEL = 16  # pixels: smaller panels are not worth a look


@dataclass
class ClipSettings:
    model: str = "ViT-B-32"  # an open_clip architecture
    pretrained: str = "openai"  # an open_clip weights tag; "" = random weights (tests only)
    checkpoint: str = ""  # a file from `m2m-reader train emotion` (overrides the above)
    device: str = "auto"
    profile: str = "share"  # "share" (M2M-Gen: share of faces per top class) or "mean"
    margin: float = 0.15  # crop margin around a face box, as a share of its size
    batch_size: int = 32
    idle_seconds: float = 300.0


@dataclass
class LoadedClip:
    model: Any
    preprocess: Any  # PIL image -> tensor (evaluation transform)
    preprocess_train: Any
    tokenizer: Any
    device: str
    name: str  # "ViT-B-32/openai" or the checkpoint file
    model_name: str = ""  # the open_clip architecture
    quick_gelu: bool = False


def _ensure_config(model_name: str, cfg: dict | None) -> None:
    """Register an architecture a checkpoint carries when open_clip does not know it."""
    import open_clip

    if model_name in open_clip.list_models() or not cfg:
        return
    from ..core.paths import cache_dir

    folder = cache_dir() / "open_clip_configs"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{model_name}.json").write_text(json.dumps(cfg))
    open_clip.add_model_config(folder / f"{model_name}.json")


def cached_weights(model_name: str, tag: str) -> tuple[str, dict]:
    """The local file of open_clip weights `model_name`/`tag` and their pretrained config."""
    from huggingface_hub import try_to_load_from_cache
    from open_clip.pretrained import get_pretrained_cfg

    pcfg = get_pretrained_cfg(model_name, tag)
    if not pcfg:
        raise BackendUnavailable(f"open_clip has no weights named {model_name}/{tag}.")
    repo, filenames = hub_files(pcfg)
    for filename in filenames:
        found = try_to_load_from_cache(repo, filename) if repo else None
        if isinstance(found, str):
            return found, pcfg
    raise BackendUnavailable(
        f"CLIP weights {model_name}/{tag} are not on this computer; "
        "run `m2m-reader models download clip` (needs the internet)."
    )


def hub_files(pcfg: dict) -> tuple[str, list[str]]:
    """(Hub repo, candidate weight file names) of an open_clip pretrained config."""
    hub = (pcfg.get("hf_hub") or "").strip("/")
    parts = hub.split("/")
    if len(parts) > 2:
        return "/".join(parts[:2]), ["/".join(parts[2:])]
    return hub, ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]


def load_clip(settings: ClipSettings) -> LoadedClip:
    """Load CLIP from a fine-tuned checkpoint or cached open_clip weights."""
    require_torch()
    try:
        import open_clip
    except ImportError as exc:
        raise BackendUnavailable(
            "open_clip is not installed; run `pip install 'm2m-reader[models]'`.", str(exc)
        ) from exc
    device = pick_device(settings.device)
    state = None
    model_name = settings.model
    kwargs: dict[str, str | bool] = {}
    if settings.checkpoint:
        state = read_checkpoint(Path(settings.checkpoint))
        model_name = state["model_name"]
        _ensure_config(model_name, state.get("model_cfg"))
        kwargs["force_quick_gelu"] = bool(state.get("quick_gelu", False))
        name = str(settings.checkpoint)
    elif settings.pretrained:
        path, pcfg = cached_weights(model_name, settings.pretrained)
        kwargs["pretrained"] = path
        kwargs["force_quick_gelu"] = bool(pcfg.get("quick_gelu", False))
        name = f"{model_name}/{settings.pretrained}"
    else:
        log.warning("CLIP %s runs with random weights: its emotions mean nothing", model_name)
        name = f"{model_name}/random"
    if model_name not in open_clip.list_models():
        raise BackendUnavailable(f"open_clip does not know the architecture {model_name}.")
    model, preprocess_train, preprocess = open_clip.create_model_and_transforms(
        model_name, device=device, **kwargs
    )
    if state is not None:
        model.load_state_dict(state["state_dict"])
    model.eval()
    tokenizer = open_clip.get_tokenizer(model_name)
    quick = bool(kwargs.get("force_quick_gelu", False))
    return LoadedClip(
        model, preprocess, preprocess_train, tokenizer, device, name, model_name, quick
    )


def read_checkpoint(path: Path) -> dict:
    torch = require_torch()
    if not path.is_file():
        raise BackendUnavailable(f"{path}: no such emotion checkpoint file.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same sentence
        raise BackendUnavailable(f"{path}: not a readable emotion checkpoint.", str(exc)) from exc
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise BackendUnavailable(f"{path}: not an m2m-reader emotion checkpoint.")
    return state


def save_checkpoint(
    path: Path,
    model: Any,
    model_name: str,
    pretrained: str | None,
    quick_gelu: bool = False,
    extra: dict | None = None,
) -> None:
    """Save a (fine-tuned) CLIP with its architecture so it loads anywhere."""
    import open_clip

    torch = require_torch()
    state = {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "model_name": model_name,
        "model_cfg": open_clip.get_model_config(model_name),
        "pretrained": pretrained or "",
        "quick_gelu": quick_gelu,
        "classes": list(EMOTIONS),
        "prompts": list(PROMPTS),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        **(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path)


def class_embeddings(lc: LoadedClip, prompts: tuple[str, ...] = PROMPTS) -> Any:
    """(7, D) unit vectors: each class's prompt ensemble, averaged and renormalised.

    Runs with gradients when the caller enables them (training tunes the text side too).
    """
    texts = [p.format(ADJECTIVES[e]) for e in EMOTIONS for p in prompts]
    tokens = lc.tokenizer(texts).to(lc.device)
    emb = lc.model.encode_text(tokens, normalize=True)
    emb = emb.reshape(len(EMOTIONS), len(prompts), -1).mean(dim=1)
    return emb / emb.norm(dim=-1, keepdim=True)


def class_logits(lc: LoadedClip, pixels: Any, classes: Any) -> Any:
    img = lc.model.encode_image(pixels, normalize=True)
    return lc.model.logit_scale.exp() * img @ classes.T


def classify(
    lc: LoadedClip,
    crops: list[Image.Image],
    batch_size: int = 32,
    prompts: tuple[str, ...] = PROMPTS,
) -> np.ndarray:
    """(n, 7) class probabilities for face crops (or panel crops, with `prompts`)."""
    torch = require_torch()
    if not crops:
        return np.zeros((0, len(EMOTIONS)), np.float32)
    with torch.no_grad():
        classes = class_embeddings(lc, prompts)
        out = []
        for i in range(0, len(crops), batch_size):
            pixels = torch.stack(
                [lc.preprocess(c.convert("RGB")) for c in crops[i : i + batch_size]]
            )
            out.append(class_logits(lc, pixels.to(lc.device), classes).softmax(dim=-1).cpu())
    return torch.cat(out).float().numpy()


def crop_face(
    image: Image.Image, box: tuple[int, int, int, int], margin: float
) -> Image.Image | None:
    """The face with a margin, clipped to the page; None for an empty box."""
    x0, y0, x1, y1 = box
    dx, dy = (x1 - x0) * margin, (y1 - y0) * margin
    left, top = max(0, int(x0 - dx)), max(0, int(y0 - dy))
    right, bottom = min(image.width, int(x1 + dx)), min(image.height, int(y1 + dy))
    if right - left < 2 or bottom - top < 2:
        return None
    return image.crop((left, top, right, bottom))


def panel_boxes(book: Book, transcript: Any) -> list[tuple[int, int, int, int]] | None:
    """The panels of a page read from its pixels (the page reading's, in reading
    order; empty when it found none: the whole page is read); None for a page not read
    from its pixels (an annotated page without faces has none drawn) or damaged."""
    if transcript.visual is None:
        return None
    from ..analysis.page_reading import readings_for

    readings = readings_for(book)
    reading = readings.get(transcript.index) if readings is not None else None
    if reading is not None and reading.damaged:
        return None
    boxes = [tuple(p.box) for p in reading.panels] if reading is not None else []
    return [b for b in boxes if b[2] - b[0] >= MIN_PANEL and b[3] - b[1] >= MIN_PANEL]  # type: ignore[misc]


def page_profile(probs: np.ndarray, how: str = "share") -> Profile:
    """The page's profile from its faces' probabilities (share of top classes, or mean)."""
    if len(probs) == 0:
        return neutral_profile()
    if how == "mean":
        mean = probs.mean(axis=0)
        return normalise({e: float(mean[i]) for i, e in enumerate(EMOTIONS)})
    counts = np.bincount(probs.argmax(axis=1), minlength=len(EMOTIONS))
    return normalise({e: float(counts[i]) for i, e in enumerate(EMOTIONS)})


class ClipEmotions:
    """`EmotionBackend` named "clip"."""

    name = "clip"

    def __init__(self, settings: ClipSettings | None = None) -> None:
        self.settings = settings or ClipSettings()
        self._holder: ModelHolder[LoadedClip] = ModelHolder(
            lambda: load_clip(self.settings), self.settings.idle_seconds
        )

    def settings_key(self) -> str:
        s = self.settings
        weights = s.pretrained
        if s.checkpoint:
            p = Path(s.checkpoint)
            stat = p.stat() if p.exists() else None
            weights = f"{p.name}:{stat.st_size if stat else 0}:{int(stat.st_mtime) if stat else 0}"
        prompts = hashlib.sha256("|".join(PROMPTS + PANEL_PROMPTS).encode()).hexdigest()[:8]
        return f"clip:{s.model}:{weights}:{s.profile}:{s.margin}:{prompts}"

    def close(self) -> None:
        self._holder.free()

    def page_emotions(self, book: Book, transcript: Any, cancel: CancelToken) -> Any:
        from ..analysis.records import PageEmotions

        cancel.check()
        faces = [f for f in transcript.faces if f.box]
        if not faces:
            return self._panel_emotions(book, transcript, cancel)
        image = book.image(transcript.index)
        crops, kept = [], []
        for i, face in enumerate(faces):
            crop = crop_face(image, tuple(face.box), self.settings.margin)
            if crop is not None:
                crops.append(crop)
                kept.append(i)
        cancel.check()
        with self._holder.use() as lc:
            probs = classify(lc, crops, self.settings.batch_size)
            name = lc.name
        cancel.check()
        per_face = [neutral_profile() for _ in faces]
        for row, i in zip(probs, kept, strict=True):
            per_face[i] = {e: float(row[j]) for j, e in enumerate(EMOTIONS)}
        profile = page_profile(probs, self.settings.profile)
        tops = [EMOTIONS[int(r.argmax())] for r in probs]
        summary = ", ".join(f"{tops.count(e)} {e}" for e in EMOTIONS if e in tops)
        evidence = [f"{len(crops)} faces read by CLIP {name} ({self.settings.profile}): {summary}"]
        return PageEmotions(profile, per_face, evidence)

    def _panel_emotions(self, book: Book, transcript: Any, cancel: CancelToken) -> Any:
        """A page without faces: its panels read with the panel prompts (a page not
        read from its pixels, or a damaged one, is neutral)."""
        from ..analysis.records import PageEmotions

        boxes = panel_boxes(book, transcript)
        if boxes is None:
            return PageEmotions(
                neutral_profile(), [], [f"page {transcript.index}: no faces to read"]
            )
        image = book.image(transcript.index)
        boxes = boxes or [(0, 0, image.width, image.height)]
        crops = [c for b in boxes if (c := crop_face(image, b, 0.0)) is not None]
        cancel.check()
        with self._holder.use() as lc:
            probs = classify(lc, crops, self.settings.batch_size, PANEL_PROMPTS)
            name = lc.name
        cancel.check()
        profile = page_profile(probs, self.settings.profile)
        tops = [EMOTIONS[int(r.argmax())] for r in probs]
        summary = ", ".join(f"{tops.count(e)} {e}" for e in EMOTIONS if e in tops)
        evidence = [
            f"no faces: {len(crops)} panels read by CLIP {name} ({self.settings.profile}): "
            f"{summary}"
        ]
        return PageEmotions(profile, [], evidence)
