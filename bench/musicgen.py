"""MusicGen on the CPU: the real musicgen-small architecture at random weights.

Builds musicgen-small from its known sizes (decoder 24 layers, hidden 1024, 16 heads,
4 codebooks of 2048; T5-base text encoder; 32 kHz EnCodec), saves it like a checkpoint,
loads it through m2m-reader's loading code, and measures with 2 CPU threads:

- load_s: `from_pretrained` of the saved folder (what a reading session pays once);
- rtf_fp32 / rtf_int8: seconds of compute per second of audio (dynamic int8 decoder);
- cancel_latency_s: from `cancel()` to `Cancelled` raised out of `generate`.

With `--batch N`, instead: pages per second of N fresh pages made one by one
(`generate_long` each, as `make_cue`) against all N in one batch (`generate_long_batch`,
as a batch run's `make_cues`), with the tests' tiny model and with a decoder at
musicgen-small's width (hidden 1024, 16 heads, 4 codebooks of 2048) but `--layers` of
its 24 layers (T5-base text encoder and EnCodec as in small).

Random weights make the same amount of work as trained ones. Run:
    .venv/bin/python bench/musicgen.py [--seconds 2] [--threads 2]
    .venv/bin/python bench/musicgen.py --batch 8 [--seconds 0.5] [--layers 4] [--rounds 2]
The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def small_config(layers: int = 24):  # type: ignore[no-untyped-def]
    from transformers import EncodecConfig, MusicgenConfig, MusicgenDecoderConfig, T5Config

    text = T5Config(
        vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12,
        relative_attention_num_buckets=32, feed_forward_proj="relu",
    )  # fmt: skip
    audio = EncodecConfig(
        sampling_rate=32000, audio_channels=1, num_filters=64, upsampling_ratios=[8, 5, 4, 4],
        codebook_size=2048, codebook_dim=128, hidden_size=128, num_lstm_layers=2,
        target_bandwidths=[2.2], use_causal_conv=False, normalize=False, chunk_length_s=None,
        overlap=None, norm_type="weight_norm", use_conv_shortcut=False, compress=2,
        residual_kernel_size=3, kernel_size=7, last_kernel_size=7, dilation_growth_rate=2,
        num_residual_layers=1, pad_mode="reflect", trim_right_ratio=1.0,
    )  # fmt: skip
    decoder = MusicgenDecoderConfig(
        vocab_size=2048, max_position_embeddings=2048, num_hidden_layers=layers, ffn_dim=4096,
        num_attention_heads=16, hidden_size=1024, num_codebooks=4, activation_function="gelu",
        pad_token_id=2048, bos_token_id=2048, dropout=0.1,
    )  # fmt: skip
    return MusicgenConfig(text_encoder=text, audio_encoder=audio, decoder=decoder)


def save_small(folder: Path, layers: int = 24) -> None:
    import torch
    from models_fixtures import tiny_tokenizer
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
    )

    torch.manual_seed(0)
    model = MusicgenForConditionalGeneration(small_config(layers))
    gc = model.generation_config
    gc.decoder_start_token_id = gc.pad_token_id = gc.bos_token_id = 2048
    gc.do_sample, gc.guidance_scale, gc.max_length = True, 3.0, 1500
    model.save_pretrained(folder)
    fe = EncodecFeatureExtractor(feature_size=1, sampling_rate=32000, padding_value=0.0)
    MusicgenProcessor(feature_extractor=fe, tokenizer=tiny_tokenizer()).save_pretrained(folder)


def rtf(lm, seconds: float) -> float:  # type: ignore[no-untyped-def]
    from m2m_reader.engine.core.cancel import CancelToken
    from m2m_reader.engine.models.musicgen import MusicgenSettings, generate_long

    s = MusicgenSettings()
    generate_long(lm, "calm piano", 0.2, s, cancel=CancelToken(), seed=0)  # warm-up
    t0 = time.perf_counter()
    audio = generate_long(lm, "calm piano music with soft strings", seconds, s,
                          cancel=CancelToken(), seed=0)  # fmt: skip
    elapsed = time.perf_counter() - t0
    assert len(audio) == round(seconds * lm.frame_rate) * lm.hop
    return elapsed / seconds


def cancel_latency(lm) -> float:  # type: ignore[no-untyped-def]
    from m2m_reader.engine.core.cancel import CancelToken
    from m2m_reader.engine.core.errors import Cancelled
    from m2m_reader.engine.models.musicgen import MusicgenSettings, generate_long

    token = CancelToken()
    going = threading.Event()
    ended: list[float] = []

    def job() -> None:
        try:
            generate_long(lm, "tense drums", 20.0, MusicgenSettings(), cancel=token,
                          progress=lambda f: going.set() if f > 0.02 else None)  # fmt: skip
        except Cancelled:
            ended.append(time.perf_counter())

    thread = threading.Thread(target=job)
    thread.start()
    going.wait(120)
    time.sleep(0.3)  # cancel mid-step, not on a step boundary
    t0 = time.perf_counter()
    token.cancel("bench")
    thread.join(60)
    return ended[0] - t0 if ended else float("nan")


def pages_per_second(lm, pages: int, seconds: float, rounds: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """N fresh pages one by one, then the same N in one batch, `rounds` times in turn
    (a busy machine slows one kind more than the other less often); the best round of
    each, in wall seconds and in this process's CPU seconds."""
    from m2m_reader.engine.core.cancel import CancelToken
    from m2m_reader.engine.models.musicgen import MusicgenSettings, generate_long
    from m2m_reader.engine.models.musicgen_windows import generate_long_batch

    s = MusicgenSettings()
    texts = [f"{w} music with soft strings" for w in ("calm", "tense", "happy", "sad")]
    texts = [texts[i % len(texts)] for i in range(pages)]
    generate_long(lm, "calm piano", 0.1, s, cancel=CancelToken(), seed=0)  # warm-up
    generate_long_batch(lm, texts[:2], [0.1, 0.1], s, cancel=CancelToken(), seed=0)
    alone, batched = [], []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        for i, text in enumerate(texts):
            generate_long(lm, text, seconds, s, cancel=CancelToken(), seed=i)
        alone.append((time.perf_counter() - t0, time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        audio = generate_long_batch(lm, texts, [seconds] * pages, s, cancel=CancelToken(), seed=0)
        batched.append((time.perf_counter() - t0, time.process_time() - c0))
        assert [len(a) for a in audio] == [round(seconds * lm.frame_rate) * lm.hop] * pages
    wall_a, cpu_a = min(w for w, _ in alone), min(c for _, c in alone)
    wall_b, cpu_b = min(w for w, _ in batched), min(c for _, c in batched)
    return {
        "one_by_one_pages_per_s": round(pages / wall_a, 3),
        "batched_pages_per_s": round(pages / wall_b, 3),
        "speedup": round(wall_a / wall_b, 2),
        "one_by_one_cpu_s_per_page": round(cpu_a / pages, 3),
        "batched_cpu_s_per_page": round(cpu_b / pages, 3),
        "cpu_speedup": round(cpu_a / cpu_b, 2),
    }


def batch_bench(args: argparse.Namespace) -> dict[str, object]:
    from models_fixtures import save_tiny_musicgen

    from m2m_reader.engine.models.musicgen import load_musicgen

    result: dict[str, object] = {"pages": args.batch, "page_seconds": args.seconds,
                                 "threads": args.threads, "rounds": args.rounds}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="musicgen-batch-") as tmp:
        tiny, wide = Path(tmp) / "tiny", Path(tmp) / "wide"
        save_tiny_musicgen(tiny)
        lm = load_musicgen(str(tiny), device="cpu")
        result["tiny"] = pages_per_second(lm, args.batch, args.seconds, args.rounds)
        save_small(wide, layers=args.layers)
        lm = load_musicgen(str(wide), device="cpu")
        params = sum(p.numel() for p in lm.model.decoder.parameters())
        result["small_width"] = {
            "model": f"musicgen-small's decoder width, {args.layers} of 24 layers, random weights",
            "decoder_params_m": round(params / 1e6, 1),
            **pages_per_second(lm, args.batch, args.seconds, args.rounds),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=0, metavar="N",
                        help="pages one by one against N pages in one batch")  # fmt: skip
    parser.add_argument("--layers", type=int, default=4, help="decoder layers for --batch")
    parser.add_argument("--rounds", type=int, default=2, help="turns of each for --batch")
    args = parser.parse_args()

    import torch

    if args.batch:
        torch.set_num_threads(args.threads)
        load_before = os.getloadavg()[0]
        result = batch_bench(args)
        result["loadavg_before"] = round(load_before, 2)
        result["loadavg_after"] = round(os.getloadavg()[0], 2)
        print(json.dumps(result))
        return

    from m2m_reader.engine.models.musicgen import load_musicgen

    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="musicgen-small-random-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        save_small(folder)
        save_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        lm = load_musicgen(str(folder), device="cpu")
        load_s = time.perf_counter() - t0
        params = sum(p.numel() for p in lm.model.parameters())
        rtf_fp32 = rtf(lm, args.seconds)
        latency = cancel_latency(lm)
        del lm
        t0 = time.perf_counter()
        lm8 = load_musicgen(str(folder), device="cpu", quantize=True)
        load_int8_s = time.perf_counter() - t0
        rtf_int8 = rtf(lm8, args.seconds)
        latency_int8 = cancel_latency(lm8)
    result = {
        "model": "musicgen-small architecture, random weights",
        "params_m": round(params / 1e6, 1),
        "threads": args.threads,
        "audio_seconds": args.seconds,
        "save_s": round(save_s, 2),
        "load_s": round(load_s, 2),
        "load_int8_s": round(load_int8_s, 2),
        "rtf_fp32": round(rtf_fp32, 2),
        "rtf_int8": round(rtf_int8, 2),
        "int8_speedup": round(rtf_fp32 / rtf_int8, 2),
        "cancel_latency_s": round(max(latency, latency_int8), 3),
        "cancel_latency_fp32_s": round(latency, 3),
        "cancel_latency_int8_s": round(latency_int8, 3),
        # The machine's 1-minute load before and after: figures from a busy machine are slower.
        "loadavg_before": round(load_before, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
