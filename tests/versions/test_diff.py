"""Tests for the diff engine: exact ops, word granularity, paragraph alignment, moves, formatting."""

from __future__ import annotations

import random

import pytest

from clm.documents import Document, Paragraph, Run, from_text
from clm.versions.diff import MOVE_MIN_WORDS, Redline, diff

LONG = "The Supplier shall deliver the Goods to the Customer at the agreed place within thirty days."
OTHER = "Either party may terminate this Agreement by written notice if the other party materially breaches it."
THIRD = "This Agreement is governed by the laws of the State of New York without regard to conflicts rules."


def spelled(red: Redline) -> tuple[str, str]:
    ops = red.ops()
    return ("".join(t for op, t in ops if op != "insert"), "".join(t for op, t in ops if op != "delete"))


def changed_text(red: Redline, op: str) -> list[str]:
    return [t for o, t in red.ops() if o == op]


def check(old: str, new: str) -> Redline:
    red = diff(from_text(old), from_text(new))
    assert spelled(red) == (old, new)
    return red


@pytest.mark.parametrize("old, new", [
    ("", ""),
    ("", "a"),
    ("a", ""),
    ("same", "same"),
    ("one\ntwo", "one\ntwo\n"),
    ("\n\n", "\n"),
    ("a b c", "a c"),
    ("first\nsecond\nthird", "first\nthird"),
    ("first\nsecond\nthird", "zero\nfirst\nsecond\nthird\nfourth"),
    ("only old paragraph", "completely different words here"),
    ("tabs\tand\vbreaks", "tabs and\vbreaks"),
    ("trailing space ", "trailing space"),
    (f"{LONG}\n{OTHER}\n{THIRD}", f"{THIRD}\n{OTHER}\n{LONG}"),
    ("A B.\n\nC D.", "A B. C D."),
    ("A B. C D.", "A B.\n\nC D."),
])
def test_ops_spell_old_and_new_exactly(old: str, new: str) -> None:
    check(old, new)


def test_identical_documents_give_an_empty_redline() -> None:
    red = check(LONG + "\n\n" + OTHER, LONG + "\n\n" + OTHER)
    assert red.is_empty
    assert all(op == "equal" for op, _ in red.ops())
    assert set(red.stats.values()) == {0}


def test_two_empty_documents() -> None:
    red = diff(Document(), Document())
    assert red.ops() == []
    assert red.is_empty
    red = check("", "")
    assert red.ops() == []


@pytest.mark.parametrize("old, new, deleted, inserted", [
    ("Pay within thirty days.", "Pay within sixty days.", ["thirty"], ["sixty"]),
    # whole words, never letters: "Licensor" -> "Licensee" is one word replaced
    ("The Licensor shall pay.", "The Licensee shall pay.", ["Licensor"], ["Licensee"]),
    # a phrase rewritten reads as one change, not word confetti
    ("net thirty days of invoice", "net sixty months of invoice", ["thirty days"], ["sixty months"]),
    ("Section 7.2 applies.", "Section 7.3 applies.", ["7.2"], ["7.3"]),
])
def test_word_level_changes(old: str, new: str, deleted: list[str], inserted: list[str]) -> None:
    red = check(old, new)
    assert changed_text(red, "delete") == deleted
    assert changed_text(red, "insert") == inserted
    assert red.stats["paragraphs_changed"] == 1


def test_paragraph_alignment_keeps_untouched_paragraphs_equal() -> None:
    old = f"{LONG}\n{OTHER}\n{THIRD}"
    new = "\n".join([LONG, "A brand new clause about insurance.", OTHER.replace("written", "prior written"), THIRD])
    red = check(old, new)
    kinds = [p.kind for p in red.paragraphs]
    assert kinds == ["equal", "inserted", "changed", "equal"]
    assert changed_text(red, "insert") == ["A brand new clause about insurance.\n", "prior "]
    assert red.stats == {**red.stats, "paragraphs_inserted": 1, "paragraphs_changed": 1, "words_inserted": 7}


def test_renumbered_paragraphs_pair_up() -> None:
    old = "\n".join(f"{k}. {t}" for k, t in enumerate([LONG, OTHER, THIRD], start=1))
    new = "\n".join(f"{k}. {t}" for k, t in enumerate(["Definitions come first here.", LONG, OTHER, THIRD], start=1))
    red = check(old, new)
    assert [p.kind for p in red.paragraphs] == ["inserted", "changed", "changed", "changed"]
    assert changed_text(red, "delete") == ["1.", "2.", "3."]


def test_moved_paragraph_is_a_move() -> None:
    paras = [f"Clause {k} " + LONG for k in range(5)]
    moved = paras[:1] + paras[2:4] + paras[1:2] + paras[4:]
    red = check("\n".join(paras), "\n".join(moved))
    kinds = [(p.kind, p.move_id) for p in red.paragraphs]
    assert ("moved_from", 1) in kinds and ("moved_to", 1) in kinds
    assert red.stats["paragraphs_moved"] == 1
    assert red.stats["words_moved"] == len(paras[1].split())
    assert red.stats["words_inserted"] == red.stats["words_deleted"] == 0
    src = next(p for p in red.paragraphs if p.kind == "moved_from")
    dst = next(p for p in red.paragraphs if p.kind == "moved_to")
    assert (src.old_index, dst.new_index) == (1, 3)


def test_moved_and_edited_paragraph_shows_its_edits() -> None:
    paras = [f"Clause {k} " + LONG for k in range(5)]
    edited = paras[1].replace("thirty", "forty")
    new = paras[:1] + paras[2:4] + [edited] + paras[4:]
    red = check("\n".join(paras), "\n".join(new))
    src = next(p for p in red.paragraphs if p.kind == "moved_from")
    dst = next(p for p in red.paragraphs if p.kind == "moved_to")
    assert [s.text for s in src.segments if s.op == "delete"] == ["thirty"]
    assert [s.text for s in dst.segments if s.op == "insert"] == ["forty"]
    assert red.stats["words_deleted"] == red.stats["words_inserted"] == 1


def test_short_paragraphs_are_not_moves() -> None:
    short = "Too short to move."
    assert len(short.split()) < MOVE_MIN_WORDS
    red = check(f"{short}\n{LONG}\n{OTHER}\n{THIRD}", f"{LONG}\n{OTHER}\n{THIRD}\n{short}")
    assert not any(p.kind.startswith("moved") for p in red.paragraphs)


def test_split_paragraph_shows_a_new_paragraph_end() -> None:
    red = check(LONG + " " + OTHER, LONG + "\n" + OTHER)
    assert changed_text(red, "delete") == [" "]
    assert changed_text(red, "insert") == ["\n"]
    assert red.paragraphs[0].mark == "insert"


def test_joined_paragraphs_show_a_deleted_paragraph_end() -> None:
    red = check(LONG + "\n" + OTHER, LONG + " " + OTHER)
    assert changed_text(red, "delete") == ["\n"]
    assert changed_text(red, "insert") == [" "]


def test_blank_lines_do_not_break_alignment() -> None:
    old = "\n\n".join(f"{k}. {t}" for k, t in enumerate([LONG, OTHER, THIRD], start=1))
    new = "\n\n".join(f"{k}. {t}" for k, t in enumerate([THIRD.replace("New York", "Delaware"), LONG, OTHER, THIRD],
                                                           start=1))
    red = check(old, new)
    assert red.stats["paragraphs_changed"] == 3  # renumbered, not deleted and re-inserted
    assert red.stats["paragraphs_inserted"] == 2  # the new clause and its blank line


def _doc(*paras: tuple[tuple[str, bool], ...], style: str | None = None) -> Document:
    return Document(tuple(Paragraph(tuple(Run(t, bold=b) for t, b in p), style) for p in paras))


def test_formatting_only_change_is_detected() -> None:
    old = _doc((("Pay ", False), ("now", False)))
    new = _doc((("Pay ", False), ("now", True)))
    red = diff(old, new)
    assert spelled(red) == ("Pay now", "Pay now")
    assert red.paragraphs[0].kind == "equal"
    assert red.paragraphs[0].format_changed
    assert red.stats["paragraphs_format_changed"] == 1
    assert not red.is_empty


def test_formatting_change_inside_an_edited_paragraph() -> None:
    old = _doc((("Pay ", False), ("now", False), (" or later", False)))
    new = _doc((("Pay ", False), ("now", True), (" or never", False)))
    red = diff(old, new)
    assert red.paragraphs[0].kind == "changed"
    assert red.paragraphs[0].format_changed


def test_style_change_is_detected() -> None:
    red = diff(_doc((("Title", False),), style="Normal"), _doc((("Title", False),), style="Heading 1"))
    assert red.paragraphs[0].style_changed


def test_segments_point_into_both_paragraphs() -> None:
    red = check("alpha beta gamma", "alpha delta gamma")
    for s in red.paragraphs[0].segments:
        if s.old_start is not None:
            assert "alpha beta gamma"[s.old_start:s.old_start + len(s.text)] == s.text
        if s.new_start is not None:
            assert "alpha delta gamma"[s.new_start:s.new_start + len(s.text)] == s.text


def test_large_documents_diff_without_hanging() -> None:
    import time

    rng = random.Random(7)
    vocab = (LONG + " " + OTHER + " " + THIRD).split()
    old = [" ".join(rng.choice(vocab) for _ in range(rng.randint(20, 60))) for _ in range(1500)]
    new = list(old)
    for _ in range(300):
        k = rng.randrange(len(new))
        words = new[k].split()
        words[rng.randrange(len(words))] = rng.choice(["sixty", "Delaware", "Licensee"])
        new[k] = " ".join(words)
    t = time.perf_counter()
    red = check("\n".join(old), "\n".join(new))
    assert time.perf_counter() - t < 30  # a hang guard only; benchmarks/redline.py measures speed
    assert red.stats["paragraphs_changed"] <= 300


WORDS = ["the", "of", "a", "and", "Customer", "Provider", "shall", "may", "1.2", "(a)", "Agreement", "days", ",", ".", "thirty", "sixty"]


def _random_paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 14)))


def _mutate(paras: list[str], rng: random.Random) -> list[str]:
    new = list(paras)
    for _ in range(rng.randint(0, 6)):
        r = rng.random()
        if r < 0.2 and new:
            new.pop(rng.randrange(len(new)))
        elif r < 0.4:
            new.insert(rng.randint(0, len(new)), _random_paragraph(rng))
        elif r < 0.6 and len(new) > 1:
            new.insert(rng.randrange(len(new)), new.pop(rng.randrange(len(new))))  # move
        elif r < 0.7 and len(new) > 1:
            k = rng.randrange(len(new) - 1)
            new[k] = new[k] + " " + new.pop(k + 1)  # join
        elif r < 0.8 and new:
            k = rng.randrange(len(new))
            words = new[k].split(" ")
            cut = rng.randint(0, len(words))
            new[k:k + 1] = [" ".join(words[:cut]), " ".join(words[cut:])]  # split
        elif new:
            k = rng.randrange(len(new))
            words = new[k].split(" ")
            words[rng.randrange(len(words))] = rng.choice(WORDS)
            new[k] = " ".join(words)
    return new


@pytest.mark.parametrize("seed", range(20))
def test_random_edits_always_spell_both_versions(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(100):
        old = [_random_paragraph(rng) for _ in range(rng.randint(0, 10))]
        # long paragraphs too, so moves are exercised
        old += [LONG + " " + _random_paragraph(rng) for _ in range(rng.randint(0, 3))]
        rng.shuffle(old)
        new = _mutate(old, rng)
        check("\n".join(old), "\n".join(new))


def test_a_huge_paragraph_is_diffed_sentence_by_sentence() -> None:
    import time

    rng = random.Random(3)
    sentences = [f"Clause {k} says {THIRD}" for k in range(400)]  # ~8,000 words in one paragraph
    new_sentences = list(sentences)
    for k in rng.sample(range(400), 60):
        new_sentences[k] = new_sentences[k].replace("New York", "Delaware")
    t = time.perf_counter()
    red = check(" ".join(sentences), " ".join(new_sentences))
    assert time.perf_counter() - t < 2.0
    assert (red.stats["words_deleted"], red.stats["words_inserted"]) == (120, 60)  # "New York" -> "Delaware" x60


# -- stories, tables and atoms -----------------------------------------------------------------


def _note_doc(note: str, body: str = "The Supplier shall deliver the Goods") -> Document:
    from clm.documents import from_docx
    from tests.versions.wordml import Doc

    d = Doc()
    d.p(body, d.fn(note), ".")
    return from_docx(d.to_docx())


def test_a_change_only_inside_a_note_is_a_change() -> None:
    red = diff(_note_doc("See Schedule 1."), _note_doc("See Schedule 2."))
    assert [p.kind for p in red.paragraphs] == ["equal"]
    assert not red.is_empty and red.stats["parts_changed"] == 1
    (note,) = red.stories
    assert (note.old_id, note.new_id) == ("footnote:1", "footnote:1")
    assert [(s.op, s.text) for s in note.paragraphs[0].segments if s.op != "equal"] == [("delete", "1."), ("insert", "2.")]


def test_notes_pair_by_their_references_not_their_ids() -> None:
    from clm.documents import from_docx
    from tests.versions.wordml import Doc

    def doc(notes: list[str]) -> Document:
        d = Doc()
        d.p("Clause", *(x for n in notes for x in (d.fn(n), " text")))
        return from_docx(d.to_docx())

    red = diff(doc(["Alpha note.", "Beta note.", "Gamma note."]), doc(["Alpha note.", "Gamma note."]))
    pairs = {(s.old_id, s.new_id, s.changed) for s in red.stories}
    assert pairs == {("footnote:1", "footnote:1", False), ("footnote:2", None, True),
                     ("footnote:3", "footnote:2", False)}
    deleted = [s for s in red.paragraphs[0].segments if s.op == "delete" and s.is_atom]
    assert len(deleted) == 1


def test_an_object_is_one_token_that_keeps_ops_spelling_the_texts() -> None:
    from clm.documents import from_docx
    from tests.versions.wordml import Doc

    def doc(url: str, text: str) -> Document:
        d = Doc()
        d.p("See ", d.link(url, text), " today.")
        return from_docx(d.to_docx())

    old, new = doc("https://a.example", "the terms"), doc("https://b.example", "the terms")
    red = diff(old, new)
    ops = red.ops()
    assert "".join(t for op, t in ops if op != "insert") == old.text
    assert "".join(t for op, t in ops if op != "delete") == new.text
    atoms = [(s.op, s.text) for s in red.paragraphs[0].segments if s.is_atom]
    assert atoms == [("delete", "the terms"), ("insert", "the terms")]
