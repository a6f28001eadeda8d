"""`export --midi`: the score the soundtrack was rendered from, as a DAW opens it."""

from __future__ import annotations

import mido
from test_export_support import ToneBackend, synthetic_analysis, synthetic_book

from m2m_reader.engine.export import export_soundtrack
from m2m_reader.engine.music.composer import Composer


def test_midi_has_a_track_per_part_the_tempo_map_and_markers(tmp_path):
    n = 5
    book = synthetic_book(n)
    analysis = synthetic_analysis(n, 3)
    for scene in analysis.scenes:  # a drummed scene, so every part plays
        scene.directive = "A playful jazz ensemble with piano, upright bass, drums and clarinet"
    result = export_soundtrack(
        book, analysis, Composer(22050), tmp_path / "s.wav", sample_rate=22050,
        seconds_per_page=8, midi_path=tmp_path / "s.mid",
    )  # fmt: skip
    assert result.midi_path == tmp_path / "s.mid"
    mid = mido.MidiFile(str(result.midi_path))
    names = [t.name for t in mid.tracks]
    assert names[0] == "tempo and markers"
    assert {"melody", "bass", "chords", "drums"} <= set(names[1:])
    conductor = list(mid.tracks[0])
    markers = [m.text for m in conductor if m.type == "marker"]
    assert [m for m in markers if m.startswith("page")] == [f"page {i + 1}" for i in range(n)]
    assert sum(m.startswith("scene") for m in markers) == len(analysis.scenes)
    tempos = [round(mido.tempo2bpm(m.tempo)) for m in conductor if m.type == "set_tempo"]
    assert tempos == [round(p.tempo) for p in result.plans]
    # as long as the audio's pages (the fade-out tail aside), and the drums on channel 10
    assert abs(mid.length - sum(result.page_seconds)) < 0.5
    drums = mid.tracks[names.index("drums")]
    assert {m.channel for m in drums if m.type == "note_on"} == {9}
    melody = [m for m in mid.tracks[names.index("melody")] if m.type == "note_on"]
    assert len(melody) > 10 and all(0 < m.velocity <= 127 for m in melody)


def test_no_score_from_an_audio_only_backend(tmp_path):
    book = synthetic_book(3)
    result = export_soundtrack(
        book, synthetic_analysis(3, 3), ToneBackend(), tmp_path / "s.wav",
        midi_path=tmp_path / "s.mid",
    )  # fmt: skip
    assert result.midi_path is None and not (tmp_path / "s.mid").exists()
