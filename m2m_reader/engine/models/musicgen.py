"""MusicGen through Hugging Face transformers: loading and generation.

Checkpoints load by short name (small, medium, large, melody), by Hub id, or from a
local folder, always with `local_files_only=True`: nothing is downloaded implicitly, so
offline mode opens no connection; `m2m-reader models download NAME` fetches weights.

Length: MusicGen makes `frame_rate` token frames per second (50 for the 32 kHz EnCodec)
and the delay pattern over `num_codebooks` codebooks costs `num_codebooks - 1` extra
steps, hence `max_new_tokens = 50 * seconds + 3` for the released checkpoints. Longer
than one window (30 s) is made by continuation windows, each prompted with the tail of
the audio so far (`musicgen_windows.py`). A prompted output contains the prompt: it is
stripped. Several texts can share one `generate` call (`generate_batch`).

Progress and cancellation: transformers 5.x never calls the streamer after the prompt,
but a `StoppingCriteria` sees every step; ours reports progress and raises `Cancelled`
from inside `generate` when the token fires, so a job stops within one decoder step.
"""

from __future__ import annotations

import hashlib
import json
import logging
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..core.cancel import CancelToken
from ..core.errors import BackendUnavailable, Cancelled
from .device import pick_device, pick_dtype, require_torch

log = logging.getLogger(__name__)

CHECKPOINTS = {
    "small": "facebook/musicgen-small",
    "medium": "facebook/musicgen-medium",
    "large": "facebook/musicgen-large",
    "melody": "facebook/musicgen-melody",
}
# The next smaller checkpoint, for a GPU out-of-memory fallback.
SMALLER = {
    "facebook/musicgen-large": "facebook/musicgen-medium",
    "facebook/musicgen-melody": "facebook/musicgen-small",
    "facebook/musicgen-medium": "facebook/musicgen-small",
}

Progress = Callable[[float], None]


@dataclass
class MusicgenSettings:
    """MusicGen's settings; defaults are the paper's (guidance 3, top-k 250, temperature 1)."""

    model: str = "small"  # small, medium, large, melody, a Hub id or a folder
    device: str = "auto"  # auto, cuda, mps, cpu
    dtype: str = "auto"  # auto (bf16/fp16 on GPU, fp32 on CPU), float32, float16, bfloat16
    quantize: bool = False  # dynamic int8 of the decoder's Linear layers (CPU only)
    guidance_scale: float = 3.0
    top_k: int = 250
    temperature: float = 1.0
    do_sample: bool = True
    window_seconds: float = 30.0  # longest single generation (the model's training length)
    context_seconds: float = 10.0  # audio prompt taken from the previous cue or window
    min_seconds: float = 8.0  # a cue is at least this long (it loops while a page is read)
    max_seconds: float = 60.0
    idle_seconds: float = 300.0  # free the model after this long unused
    threads: int = 0  # CPU threads for torch; 0 leaves torch's default

    def key(self) -> str:
        """What changes the audio, for cache keys (not device, threads or idle time)."""
        d = asdict(self)
        for k in ("device", "idle_seconds", "threads"):
            d.pop(k)
        d["model"] = resolve_checkpoint(self.model)
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def resolve_checkpoint(name: str) -> str:
    """A short name's Hub id, a folder's absolute path, or the Hub id as given."""
    name = name.strip()
    if name in CHECKPOINTS:
        return CHECKPOINTS[name]
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    return name


def missing_message(name: str) -> str:
    short = next((k for k, v in CHECKPOINTS.items() if v == name), name)
    return (
        f"MusicGen checkpoint {name} is not on this computer; "
        f"run `m2m-reader models download {short}` (needs the internet) or choose a local folder."
    )


@dataclass
class LoadedMusicgen:
    """A loaded model with what generation needs to know about it."""

    model: Any
    processor: Any
    name: str
    device: str
    dtype: Any
    quantized: bool
    melody: bool  # musicgen-melody: an audio prompt conditions (chroma), it is not continued
    sample_rate: int
    frame_rate: int  # token frames per second
    hop: int  # samples per frame
    num_codebooks: int


def load_musicgen(
    name: str, device: str = "auto", dtype: str = "auto", quantize: bool = False
) -> LoadedMusicgen:
    """Load a MusicGen checkpoint from the HF cache or a folder (never downloads).

    Raises:
        BackendUnavailable: packages or weights missing, or the folder is not MusicGen.
    """
    require_torch()
    try:
        import transformers
    except ImportError as exc:
        raise BackendUnavailable(
            "transformers is not installed; run `pip install 'm2m-reader[models]'`.", str(exc)
        ) from exc
    repo = resolve_checkpoint(name)
    dev = pick_device(device)
    torch_dtype = pick_dtype(dev, dtype)
    try:
        config = transformers.AutoConfig.from_pretrained(repo, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(missing_message(repo), str(exc)) from exc
    cls: type[transformers.PreTrainedModel]
    if config.model_type == "musicgen":
        cls = transformers.MusicgenForConditionalGeneration
    elif config.model_type == "musicgen_melody":
        cls = transformers.MusicgenMelodyForConditionalGeneration
    else:
        raise BackendUnavailable(
            f"{repo} is a {config.model_type} model, not a MusicGen checkpoint."
        )
    try:
        processor = transformers.AutoProcessor.from_pretrained(repo, local_files_only=True)
        model = cls.from_pretrained(repo, local_files_only=True, dtype=torch_dtype)
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(missing_message(repo), str(exc)) from exc
    # transformers wraps `to` with functools.wraps, which mypy cannot bind to the model
    model.to(dev)  # type: ignore[arg-type]
    model.eval()
    quantized = False
    if quantize:
        if dev == "cpu":
            quantize_decoder(model)
            quantized = True
        else:
            log.info("int8 quantisation is for the CPU; %s runs in %s", dev, torch_dtype)
    audio_cfg = config.audio_encoder
    hop = int(np.prod(audio_cfg.upsampling_ratios))
    return LoadedMusicgen(
        model=model,
        processor=processor,
        name=repo,
        device=dev,
        dtype=torch_dtype,
        quantized=quantized,
        melody=config.model_type == "musicgen_melody",
        sample_rate=int(audio_cfg.sampling_rate),
        frame_rate=int(audio_cfg.frame_rate),
        hop=hop,
        num_codebooks=int(config.decoder.num_codebooks),
    )


def quantize_decoder(model: Any) -> None:
    """Dynamic int8 quantisation of the decoder's Linear layers, in place (CPU only).

    The decoder is where the time goes (one pass per token step, twice with guidance);
    the text encoder runs once and EnCodec once per clip, so they stay fp32.
    """
    torch = require_torch()
    with warnings.catch_warnings():
        # torch.ao.quantization is deprecated in favour of torchao but still works; the
        # warning means nothing to a reader.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        from torch.ao.quantization import quantize_dynamic

        quantize_dynamic(model.decoder, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


class CancelProgressCriteria:
    """A StoppingCriteria that reports progress each step and raises `Cancelled`."""

    def __init__(self, cancel: CancelToken, steps: int, progress: Progress | None = None):
        self.cancel = cancel
        self.steps = max(1, steps)
        self.progress = progress
        self._start: int | None = None

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        torch = require_torch()
        if self.cancel.cancelled:
            raise Cancelled(self.cancel.reason)
        length = int(input_ids.shape[-1])
        if self._start is None:
            self._start = length - 1  # first call comes after the first new token
        if self.progress is not None:
            self.progress(min(1.0, (length - self._start) / self.steps))
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)


def generate(
    lm: LoadedMusicgen,
    text: str,
    frames: int,
    settings: MusicgenSettings,
    *,
    prompt: np.ndarray | None = None,
    cancel: CancelToken,
    progress: Progress | None = None,
) -> np.ndarray:
    """One window: `frames` new frames of mono float32 audio (`frames * hop` samples).

    With `prompt` (mono, at `lm.sample_rate`), the music continues from it; the prompt
    is trimmed to whole frames and stripped from the result.
    """
    prompts = [prompt] if prompt is not None and len(prompt) >= lm.hop else None
    return generate_batch(
        lm, [text], [frames], settings, prompts=prompts, cancel=cancel, progress=progress
    )[0]


def generate_batch(
    lm: LoadedMusicgen,
    texts: list[str],
    frames: list[int],
    settings: MusicgenSettings,
    *,
    prompts: list[np.ndarray] | None = None,
    cancel: CancelToken,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """One window for several texts in one `generate` call (guidance doubles the batch).

    Args:
        texts: one caption per output.
        frames: how many new frames each output has; the longest is generated and the
            others are cut from it.
        prompts: none, or one mono prompt (at `lm.sample_rate`) per text, each at least
            one frame. They are cut to the shortest one's whole frames, keeping their
            ends: the processor pads shorter audio on the right and `padding_mask` only
            zeroes the padding before EnCodec, so a padded prompt's codes end in silence
            and the model would continue from the silence, not from the music.

    Returns:
        Per text, `frames[i] * hop` samples of mono float32 audio, prompt stripped.
    """
    torch = require_torch()
    from transformers import StoppingCriteriaList

    cancel.check()
    if (
        not texts
        or len(frames) != len(texts)
        or (prompts is not None and len(prompts) != len(texts))
    ):
        raise ValueError("a batch needs one frame count (and one prompt, if any) per text")
    kwargs: dict[str, Any] = {
        "text": [t or "music" for t in texts],
        "padding": True,
        "return_tensors": "pt",
    }
    prompt_frames = 0
    if prompts is not None:
        prompt_frames = min(len(p) for p in prompts) // lm.hop
        if prompt_frames < 1:
            raise ValueError("each prompt of a batch must be at least one frame long")
        cut = [
            np.ascontiguousarray(p[-prompt_frames * lm.hop :], dtype=np.float32) for p in prompts
        ]
        kwargs.update(audio=cut, sampling_rate=lm.sample_rate)
    inputs = lm.processor(**kwargs)
    inputs = {
        k: (v.to(lm.device, lm.dtype) if v.is_floating_point() else v.to(lm.device))
        for k, v in inputs.items()
    }
    steps = max(frames) + lm.num_codebooks - 1  # 50 * seconds + 3 for the released checkpoints
    criteria = StoppingCriteriaList([CancelProgressCriteria(cancel, steps, progress)])
    with torch.inference_mode():
        out = lm.model.generate(
            **inputs,
            max_new_tokens=steps,
            do_sample=settings.do_sample,
            guidance_scale=settings.guidance_scale,
            top_k=settings.top_k,
            temperature=settings.temperature,
            stopping_criteria=criteria,
        )
    results = []
    for i, n in enumerate(frames):
        audio = out[i, 0].float().cpu().numpy()
        if prompt_frames and not lm.melody:
            audio = audio[prompt_frames * lm.hop :]
        want = n * lm.hop
        if len(audio) < want:
            audio = np.pad(audio, (0, want - len(audio)))
        results.append(np.ascontiguousarray(audio[:want], dtype=np.float32))
    return results


def generate_long(
    lm: LoadedMusicgen,
    text: str,
    seconds: float,
    settings: MusicgenSettings,
    *,
    prompt: np.ndarray | None = None,
    cancel: CancelToken,
    progress: Progress | None = None,
    seed: int | None = None,
) -> np.ndarray:
    """`seconds` of new audio, in windows of at most `settings.window_seconds` (prompt
    included), each continuing from the last `settings.context_seconds` so far."""
    from .musicgen_windows import generate_long_batch

    return generate_long_batch(
        lm, [text], [seconds], settings, prompts=[prompt], cancel=cancel,
        progress=progress, seed=seed,
    )[0]  # fmt: skip
