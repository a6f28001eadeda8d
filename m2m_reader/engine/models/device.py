"""Which device and dtype a model runs on.

`auto` picks CUDA, then Apple's MPS, then the CPU. On a GPU the weights go to bf16 when
the card supports it, else fp16; on the CPU they stay fp32 (int8 quantisation is a
separate, CPU-only option in `musicgen.py`).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import BackendUnavailable

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = ("auto", "float32", "float16", "bfloat16")


def require_torch() -> Any:
    """Import torch, or say in one sentence how to install it."""
    try:
        import torch
    except ImportError as exc:
        raise BackendUnavailable(
            "PyTorch is not installed; run `pip install 'm2m-reader[models]'` "
            "(or installer/setup.sh --models) to use MusicGen and CLIP.",
            detail=str(exc),
        ) from exc
    return torch


def require_transformers() -> Any:
    """Import transformers (after torch), or say in one sentence how to install it."""
    require_torch()
    try:
        import transformers
    except ImportError as exc:
        raise BackendUnavailable(
            "transformers is not installed; run `pip install 'm2m-reader[models]'`."
        ) from exc
    return transformers


def pick_device(preference: str = "auto") -> str:
    """The torch device string for `preference` (auto, cuda, mps or cpu)."""
    torch = require_torch()
    pref = (preference or "auto").lower()
    if pref not in DEVICES and not pref.startswith("cuda:"):
        raise BackendUnavailable(f"Unknown device {preference!r}; use one of {', '.join(DEVICES)}.")
    if pref == "auto":
        if torch.cuda.is_available():
            return "cuda"
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return "mps"
        return "cpu"
    if pref.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable("No CUDA GPU is available; set the device to auto or cpu.")
    if pref == "mps" and not torch.backends.mps.is_available():
        raise BackendUnavailable("Apple MPS is not available here; set the device to auto or cpu.")
    return pref


def pick_dtype(device: str, preference: str = "auto") -> Any:
    """The weights' dtype: fp32 on the CPU, bf16 (or fp16) on a GPU unless told otherwise."""
    torch = require_torch()
    pref = (preference or "auto").lower()
    if pref not in DTYPES:
        raise BackendUnavailable(f"Unknown dtype {preference!r}; use one of {', '.join(DTYPES)}.")
    if pref != "auto":
        return getattr(torch, pref)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.float32


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a GPU out-of-memory error (CUDA or MPS)."""
    torch = require_torch()
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def free_device_memory() -> None:
    """Return cached GPU memory to the system after a model is dropped."""
    import gc

    gc.collect()
    try:
        import torch
    except ImportError:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    mps = getattr(torch, "mps", None)
    if (
        mps is not None
        and getattr(torch.backends, "mps", None)
        and torch.backends.mps.is_available()
    ):
        mps.empty_cache()
