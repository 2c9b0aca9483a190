"""Clause edits made in the browser: written as a library file and checked by the same loader."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from clm.clauses.library import ClauseType, LibraryError, load_library
from clm.errors import InvalidInput

__all__ = ["ClauseEdit", "apply_edit", "clause_yaml"]


@dataclass(frozen=True)
class ClauseEdit:
    """What legal may change in the editor: the texts, fallback labels and rationales, guidance."""

    standard: str
    #: (label, rationale, text) per existing fallback, in order.
    fallbacks: tuple[tuple[str, str, str], ...]
    overview: str
    #: Advice per fallback, keyed fallback_1 ...
    when_to_concede: dict[str, str]
    red_flags: tuple[str, ...]


def clause_yaml(content: dict[str, Any], version: int) -> str:
    """Return stored clause ``content`` (``ClauseType.content()``) as a clause_library/ file."""
    variables = []
    for variable in content["variables"]:
        item = {"name": variable["name"], "type": variable["type"], "label": variable["label"]}
        if variable.get("default") is not None:
            item["default"] = variable["default"]
        if variable.get("description"):
            item["description"] = variable["description"]
        if variable.get("fixed"):
            item["fixed"] = True
        variables.append(item)
    positions = sorted(content["positions"], key=lambda p: p["rank"])
    data: dict[str, Any] = {"key": content["key"], "title": content["title"], "version": version,
                            "category": content["category"]}
    if variables:
        data["variables"] = variables
    data["standard"] = _blocks(positions[0]["text"])
    data["fallbacks"] = [{"label": p["label"], "rationale": p["rationale"], "text": _blocks(p["text"])}
                         for p in positions[1:]]
    data["guidance"] = {"overview": content["guidance"]["overview"],
                        "when_to_concede": dict(content["guidance"]["when_to_concede"]),
                        "red_flags": list(content["guidance"]["red_flags"])}
    hints: dict[str, Any] = {"headings": list(content["match_hints"]["headings"])}
    if content["match_hints"].get("keywords"):
        hints["keywords"] = list(content["match_hints"]["keywords"])
    data["match_hints"] = hints
    return str(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100))


def _blocks(text: str) -> str:
    # The file format separates paragraphs with a blank line; the loader makes each one a line.
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _check(source: str, key: str) -> ClauseType:
    """Return the clause in ``source`` as the loader reads it; raise InvalidInput with the problem only."""
    with tempfile.TemporaryDirectory(prefix="clm-clause-") as tmp:
        folder = Path(tmp) / "clauses"
        folder.mkdir()
        (folder / f"{key}.yaml").write_text(source, encoding="utf-8")
        try:
            return load_library(Path(tmp)).clauses[key]
        except LibraryError as err:
            # Lines of a generated file mean nothing to the person at the form: keep the problem.
            where = err.path or "clause library"
            if err.line is not None:
                where = f"{where}, line {err.line}"
            message = str(err).removeprefix(f"{where}: ")
            part = _part_at(source, err.line) if err.line is not None else None
            if part is not None and part.lower().replace(" ", "_") not in message.lower():
                message = f"{part}: {message}"
            raise InvalidInput(message[:1].upper() + message[1:]) from None


def _part_at(source: str, line: int) -> str | None:
    """Return which part of a generated clause file ``line`` falls in: Standard, Fallback 2, Guidance ..."""
    part = None
    rank = 0
    for text in source.splitlines()[:line]:
        if text.startswith("standard:"):
            part = "Standard"
        elif text.startswith("fallbacks:"):
            part, rank = "Fallbacks", 0
        elif text.startswith("- label:") and part is not None and part.startswith("Fallback"):
            rank += 1
            part = f"Fallback {rank}"
        elif text.startswith("guidance:"):
            part = "Guidance"
        elif text[:1].isalpha():
            part = None
    return part


def apply_edit(content: dict[str, Any], edit: ClauseEdit, version: int) -> ClauseType:
    """Return the clause with ``edit`` applied to stored ``content``, validated like a library file.

    Raises ``InvalidInput`` naming the problem: an undeclared ``{{ var }}``, a declared variable
    no position uses any more, stray template markup, an empty text, a label over 60 characters.
    """
    positions = sorted(content["positions"], key=lambda p: p["rank"])
    if len(edit.fallbacks) != len(positions) - 1:
        raise InvalidInput(f"The clause has {len(positions) - 1} fallbacks; the form sent {len(edit.fallbacks)}.")
    edited = dict(content)
    edited["positions"] = [{**positions[0], "text": edit.standard}] + [
        {**position, "label": label.strip(), "rationale": rationale.strip(), "text": text}
        for position, (label, rationale, text) in zip(positions[1:], edit.fallbacks)]
    edited["guidance"] = {"overview": edit.overview.strip(), "when_to_concede": dict(edit.when_to_concede),
                          "red_flags": [flag.strip() for flag in edit.red_flags if flag.strip()]}
    return _check(clause_yaml(edited, version), content["key"])
