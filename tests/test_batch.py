"""`m2m-reader batch` without Ray: which books a folder or list holds, what a rerun
counts as finished, and the command's refusals. The runs on Ray: test_batch_ray.py."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from m2m_reader.cli import main
from m2m_reader.engine.batch import BookJob, Manifest, find_books, outputs, outputs_valid
from m2m_reader.engine.core.errors import M2MError
from m2m_reader.engine.core.settings import Settings


def page_png(book: int, page: int, tone: int) -> bytes:
    """A small page: a frame and a line of text, in a grey tone (two tones, two moods)."""
    im = Image.new("L", (300, 420), tone)
    d = ImageDraw.Draw(im)
    d.rectangle((8, 8, 292, 412), outline=0, width=3)
    d.text((30, 40 + 12 * page), f"BOOK {book} PAGE {page}!", fill=0)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def write_cbz(path: Path, pages: int = 3, book: int = 0) -> Path:
    """A CBZ of `pages` pages: the first half light, the rest dark."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for i in range(pages):
            z.writestr(f"{i:03d}.png", page_png(book, i, 230 if i < (pages + 1) // 2 else 90))
    return path


def test_a_folder_is_walked_for_every_kind_of_book(tmp_path: Path) -> None:
    lib = tmp_path / "library"
    write_cbz(lib / "series" / "vol1.cbz")
    (lib / "series" / "vol2.pdf").write_bytes(b"%PDF-1.4\n")
    folder = lib / "scans" / "chapter 3"
    folder.mkdir(parents=True)
    (folder / "001.png").write_bytes(page_png(0, 0, 200))
    (folder / "extras").mkdir()  # a book's own subfolder is not another book
    (folder / "extras" / "cover.cbz").write_bytes(b"PK")
    m109 = lib / "m109"
    for title in ("Alpha", "Beta"):
        (m109 / "images" / title).mkdir(parents=True)
        (m109 / "images" / title / "000.jpg").write_bytes(b"")
    (m109 / "books.txt").write_text("Alpha\nBeta\nMissing\n", encoding="utf-8")
    (lib / ".hidden").mkdir()
    write_cbz(lib / ".hidden" / "secret.cbz")
    write_cbz(lib / "out" / "old.cbz")  # the run's own output folder
    (lib / "notes.md").write_text("not a book", encoding="utf-8")

    jobs = find_books(lib, skip=lib / "out")

    assert [j.name for j in jobs] == [
        "m109/Alpha", "m109/Beta", "scans/chapter 3", "series/vol1", "series/vol2",
    ]  # fmt: skip
    assert jobs[0].path == str((m109 / "images" / "Alpha").absolute())
    assert all(Path(j.path).is_absolute() for j in jobs)


def test_a_list_file_names_books_relative_to_itself(tmp_path: Path) -> None:
    a = write_cbz(tmp_path / "a" / "same.cbz")
    write_cbz(tmp_path / "b" / "same.cbz")
    listing = tmp_path / "books.txt"
    listing.write_text(f"# my books\n{a}\n\nb/same.cbz\n", encoding="utf-8")

    jobs = find_books(listing)

    assert [(j.name, j.path) for j in jobs] == [
        ("same", str(a)), ("same-2", str(tmp_path / "b" / "same.cbz")),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p / "nothing-here", "no such file or folder"),
        (lambda p: write_cbz(p / "one.cbz"), "neither a folder of books nor a list file"),
        (lambda p: p, "holds no book"),
    ],
)
def test_an_input_that_is_no_library_is_one_sentence(tmp_path: Path, make, says: str) -> None:
    with pytest.raises(M2MError, match=says):
        find_books(make(tmp_path))


def test_outputs_that_disagree_are_not_finished(tmp_path: Path) -> None:
    """A book counts as finished only with all three outputs, agreeing."""
    import numpy as np
    import soundfile as sf

    job = BookJob(str(write_cbz(tmp_path / "in" / "b.cbz")), "b")
    out = tmp_path / "out"
    out.mkdir()
    paths = outputs(out, job, "flac")
    sf.write(paths["audio"], np.zeros((48000, 2), np.float32), 48000)
    doc = {"format": "m2m-reader/chapters", "audio": "b.flac", "duration_s": 1.0,
           "pages": [{"index": 0}, {"index": 1}, {"index": 2}]}  # fmt: skip
    paths["chapters"].write_text(json.dumps(doc), encoding="utf-8")
    paths["cue"].write_text('FILE "b.flac" WAVE\n  TRACK 01 AUDIO\n', encoding="utf-8")
    assert outputs_valid(paths, pages=3) is None

    assert "every page" in (outputs_valid(paths, pages=4) or "")
    sf.write(paths["audio"], np.zeros((24000, 2), np.float32), 48000)  # a torn write
    assert "shorter or longer" in (outputs_valid(paths, pages=3) or "")
    paths["cue"].unlink()
    assert "missing" in (outputs_valid(paths, pages=3) or "")


def test_the_manifest_survives_a_torn_last_line(tmp_path: Path) -> None:
    m = Manifest(tmp_path)
    m.add({"book": "a", "status": "ok"})
    m.add({"book": "b", "status": "failed"})
    m.add({"book": "a", "status": "failed"})
    with open(m.path, "a", encoding="utf-8") as fh:
        fh.write('{"book": "c", "sta')  # killed while writing

    again = Manifest(tmp_path)
    assert {k: v["status"] for k, v in again.records.items()} == {"a": "failed", "b": "failed"}
    again.compact(["b", "a"])
    lines = [json.loads(x) for x in m.path.read_text(encoding="utf-8").splitlines()]
    assert [(r["book"], r["status"]) for r in lines] == [("b", "failed"), ("a", "failed")]


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--no-cache"], "--no-cache cannot be used"),
        (["--gpu-share", "0"], "--gpu-share must be more than 0"),
        (["--music-actors", "0"], "--music-actors must be at least 1"),
        (["--offline", "--ray-address", "head:6379"], "it cannot join a Ray cluster"),
        (["--ray-address", "127.0.0.1:1"], "cannot reach the Ray cluster at 127.0.0.1:1"),
    ],
)
def test_the_command_refuses_settings_it_cannot_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], says: str
) -> None:
    if "127.0.0.1:1" in extra:
        pytest.importorskip("ray", reason="batch needs Ray: pip install 'm2m-reader[batch]'")
    write_cbz(tmp_path / "in" / "a.cbz")
    code = main(["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), *extra])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and err[0].startswith("m2m-reader: error: ")


@pytest.mark.parametrize(
    ("transcript", "emotions", "music"),
    [
        ("builtin", "builtin", "composer"),
        ("magi", "clip", "composer"),
        ("manga-ocr", "builtin", "musicgen"),
        ("builtin", "clip", "musicgen"),
    ],
)
def test_on_cpus_the_actor_pools_leave_a_cpu_for_the_tasks(
    transcript: str, emotions: str, music: str
) -> None:
    # Each actor pool keeps at least one actor for the whole run; together they must
    # leave a CPU for the stages between them, or a run on 2 CPUs never finishes.
    from m2m_reader.engine.batch.pipeline import actor_cpu_share

    settings = Settings(transcript=transcript, emotions=emotions, music=music)
    pools = (transcript != "builtin") + (emotions == "clip") + 1
    for cpus in (2, 4, 16):
        share = actor_cpu_share(settings, cpus, on_gpu=False)
        assert 0 < share <= 1
        assert pools * share <= cpus - 1 + 1e-9
    # with a GPU the models hold a share of it, and the composer a whole CPU
    assert actor_cpu_share(Settings(music="composer"), 2, on_gpu=True) == 1.0
