"""The composer's music is composed: form over a scene's pages, a stepwise developed
melody, the named instrument singing, layers by energy, no holes in held music, the
caption's colour honoured. Measured on the rendered audio where a listener would hear it."""

from __future__ import annotations

import numpy as np
import pytest

from m2m_reader.engine.core.cancel import NEVER
from m2m_reader.engine.music.base import CueRequest
from m2m_reader.engine.music.composer import Composer
from m2m_reader.engine.music.soundfont import find_soundfont
from m2m_reader.engine.music.theory import key_from_chroma, pitch_class

SR = 22050
librosa = pytest.importorskip("librosa")


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(SR, soundfont=None)  # the synth: the same on every machine


def req(caption: str, directive: str = "", page: int = 0, **kw: object) -> CueRequest:
    return CueRequest(page, 0, caption, directive, kw.pop("seconds", 12.0), seed=5, **kw)  # type: ignore[arg-type]


def melody_line(score) -> list[int]:  # noqa: ANN001
    notes = sorted(
        (n for n in score.notes if score.tracks[n.track].role == "melody"), key=lambda n: n.start
    )
    return [n.pitch for n in notes]


SCENE = "A warm string orchestra with piano and a rising flute melody, in D major at 84 BPM"


def test_a_long_scene_develops_over_its_pages(composer: Composer) -> None:
    scores = [
        composer.score_for(req("the scene goes on", SCENE, p, scene_page=p))[1] for p in range(6)
    ]
    bass = set()
    for s in scores:
        bass |= {n.pitch % 12 for n in s.notes if s.tracks[n.track].role == "bass"}
    assert len(bass) >= 6, sorted(bass)  # not four roots looping
    sections = [s.form[0].section for s in scores]
    assert {"A", "A'", "B"} <= set(sections)  # A A' B A spread over the pages
    harmony = [tuple((b.chord.root, b.chord.quality) for b in s.form) for s in scores]
    assert len(set(harmony)) >= 4
    # every phrase ends with a cadence, and a page's loop closes on a dominant
    for s in scores:
        assert any(b.cadence == "full" for b in s.form) or s.form[-1].cadence == "half"


def test_melody_moves_by_step_and_recovers_after_leaps(composer: Composer) -> None:
    steps = total = leaps = recovered = 0
    for p in range(6):
        line = melody_line(composer.score_for(req("the flute sings", SCENE, p, scene_page=p))[1])
        iv = np.diff(line)
        steps += int(np.isin(np.abs(iv), (1, 2)).sum())
        total += len(iv)
        for a, b in zip(iv, iv[1:], strict=False):
            if abs(a) >= 5:
                leaps += 1
                recovered += np.sign(b) == -np.sign(a) or b == 0
    assert steps / total >= 0.5
    assert recovered >= 0.8 * leaps


def test_the_named_instrument_sings_the_melody(composer: Composer) -> None:
    plan, score, _ = composer.score_for(
        req("the cello lingers", "A slow solo piano with a mournful cello and soft strings")
    )
    lead = [t for t in score.tracks if t.role == "melody"]
    assert [t.instrument for t in lead] == ["cello"] and lead[0].program == 42
    # heard low: the melody alone, rendered, sounds in the cello's register
    from m2m_reader.engine.music.compose import Score

    track = score.tracks.index(lead[0])
    alone = Score(
        score.tracks, [n for n in score.notes if n.track == track], score.bars, score.bar_seconds
    )
    audio = composer._synth.render(alone, int(score.bars * score.bar_seconds * SR)).mean(axis=1)
    f0 = librosa.yin(audio, fmin=50, fmax=1000, sr=SR)
    voiced = librosa.feature.rms(y=audio)[0][: len(f0)] > 1e-3
    assert 60 < float(np.median(f0[voiced])) < 400  # C2..G4: a cello, not a flute


@pytest.mark.parametrize(
    "directive",
    [
        "A slow solo piano with a mournful cello and soft strings, in E minor at about 60 BPM",
        "Tense ambient synth pads with a low cello drone and sparse piano, in B minor at 66 BPM",
        "An aggressive rock band with distorted electric guitar and pounding drums, in A minor",
    ],
)
def test_sad_and_tense_scenes_are_heard_in_minor(composer: Composer, directive: str) -> None:
    hits = 0
    for p in range(4):
        cue = composer.make_cue(req("the scene goes on", directive, p, scene_page=p), NEVER)
        chroma = librosa.feature.chroma_cqt(y=cue.clip.audio.mean(axis=1), sr=SR, hop_length=2048)
        hits += key_from_chroma(chroma.mean(axis=1)) == (pitch_class(cue.plan.key), "minor")
    assert hits >= 3


def test_energy_adds_layers_and_onsets(composer: Composer) -> None:
    directive = "A cheerful pop band with piano, bass and drums"
    calm = composer.make_cue(req("soft and quiet, gentle", directive), NEVER)
    loud = composer.make_cue(req("energetic and intense, driving", directive), NEVER)
    assert not any(calm.score.tracks[n.track].is_drums for n in calm.score.notes)
    assert any(loud.score.tracks[n.track].is_drums for n in loud.score.notes)

    def onsets(cue) -> float:  # noqa: ANN001
        y = cue.clip.audio.mean(axis=1)
        return len(librosa.onset.onset_detect(y=y, sr=SR, units="time")) / (len(y) / SR)

    assert onsets(loud) > 1.5 * onsets(calm)
    rms = [float(np.sqrt(np.mean(c.clip.audio**2))) for c in (calm, loud)]
    assert 20 * np.log10(rms[1] / rms[0]) > 6.0  # dynamics, not only +-2 dB


def test_held_music_never_drops_out_at_bar_lines(composer: Composer) -> None:
    cue = composer.make_cue(req("slow sad strings and choir at 60 BPM, sustained"), NEVER)
    mono = np.tile(cue.clip.audio.mean(axis=1), 2).astype(np.float64)
    win = SR // 40
    m = len(mono) // win
    db = 20 * np.log10(np.sqrt((mono[: m * win].reshape(m, win) ** 2).mean(axis=1)) + 1e-9)
    dips = [np.median(db[i - 40 : i + 40]) - db[i] for i in range(40, m - 40)]
    assert max(dips) < 10.0


def programs(score) -> set[int]:  # noqa: ANN001
    return {t.program for t in score.tracks if not t.is_drums}


@pytest.mark.parametrize(
    ("caption", "check"),
    [
        ("Thundering taiko drums and a shakuhachi melody", lambda s: {116, 77} <= programs(s)),
        ("A koto over a shamisen, spring morning", lambda s: {107, 106} <= programs(s)),
        ("Rolling timpani under low brass", lambda s: 47 in programs(s)),
        ("A muted trumpet over brushed drums", lambda s: 59 in programs(s)
         and any(t.is_drums and t.program == 40 for t in s.tracks)),
        ("Solo piano, slow", lambda s: programs(s) == {0} and not any(t.is_drums for t in s.tracks)),
        ("Tremolo strings in the dark", lambda s: 44 in programs(s)),
        ("A music box lullaby, no drums", lambda s: not any(t.is_drums for t in s.tracks)),
    ],
)  # fmt: skip
def test_caption_instruments_are_played(composer: Composer, caption: str, check) -> None:  # noqa: ANN001
    assert check(composer.score_for(req(caption))[1])


def test_staccato_is_short_and_legato_overlaps(composer: Composer) -> None:
    def melody_fill(caption: str) -> float:
        s = composer.score_for(req(caption))[1]
        notes = sorted(
            (n for n in s.notes if s.tracks[n.track].role == "melody"), key=lambda n: n.start
        )
        gaps = [b.start - a.start for a, b in zip(notes, notes[1:], strict=False)]
        return float(np.median([n.dur / g for n, g in zip(notes, gaps, strict=False) if g > 0.05]))

    assert melody_fill("a staccato clarinet, playful") < 0.5
    assert melody_fill("a legato violin, tender") >= 1.0


def test_rain_and_vinyl_are_heard_under_the_music(composer: Composer) -> None:
    def air(caption: str) -> float:  # the median frame's share of magnitude above 5 kHz
        y = composer.make_cue(req(caption), NEVER).clip.audio.mean(axis=1)
        spec = np.abs(librosa.stft(y))
        f = librosa.fft_frequencies(sr=SR)
        return float(np.median(spec[f > 5000].sum(axis=0) / spec.sum(axis=0)))

    assert air("gentle rain and a music box lullaby") > 5 * air("a music box lullaby")
    assert air("lofi with vinyl crackle and electric piano") > 5 * air("lofi with electric piano")


FONT_OR_SYNTH = ["synth"] + (["auto"] if find_soundfont() else [])


@pytest.mark.parametrize("renderer", FONT_OR_SYNTH)
def test_a_held_melody_over_piano_chords_never_drops_out(renderer: str) -> None:
    """A cello sings over quiet piano chords: where it breathes, the piano rings on (its
    chords pedalled and broken) and answers, so the music holds (no 10 dB hole)."""
    composer = Composer(SR, soundfont=None if renderer == "synth" else "auto")
    directive = "A melancholy farewell for solo piano and cello, slow"
    worst = 0.0
    for page, caption in enumerate(["quiet piano chords, fading", "slow piano, mournful cello",
                                    "the cello sings alone, sorrowful"]):  # fmt: skip
        cue = composer.make_cue(req(caption, directive, page, scene_page=page), NEVER)
        assert cue.score.tracks[0].instrument == "cello" and cue.score.tracks[0].role == "melody"
        mono = np.tile(cue.clip.audio.mean(axis=1), 2).astype(np.float64)
        win = SR // 40
        m = len(mono) // win
        db = 20 * np.log10(np.sqrt((mono[: m * win].reshape(m, win) ** 2).mean(axis=1)) + 1e-9)
        worst = max(worst, *(np.median(db[i - 40 : i + 40]) - db[i] for i in range(40, m - 40)))
    assert worst < 10.0
