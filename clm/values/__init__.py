"""Contract values, one home for each kind: read (contract wording), parse (our formats), find, format.

Pure: imports neither Flask, SQLAlchemy nor spaCy. Every kind module (``numbers``, ``durations``,
``dates``, ``money``, ``jurisdictions``, ``frequencies``) offers the same four verbs:

- ``read(text)``: lenient, from a contract's or a person's wording ("thirty (30) business days");
- ``parse(text)``: strict, from clm's own formats ("P30BD", "USD 135000.00");
- ``find(text)``: every value in a text with its character span (for extraction);
- ``format(value)``: as a lawyer or an accountant writes it ("30 business days", "USD 135,000.00").

``read`` and ``parse`` raise :class:`ValueReadError`, one message shape naming the field and the
wording that could not be read. ``fields`` is the catalogue of contract terms and their kinds.
"""

from __future__ import annotations

from clm.errors import InvalidInput


class ValueReadError(InvalidInput, ValueError):
    """A value could not be read; the message names the field and the wording.

    ``str(err)`` is ``"<field>: cannot read '<wording>' as <what> (e.g. <example>)"``.
    """

    def __init__(self, wording: object, what: str, example: str = "", field: str = "value") -> None:
        self.wording = wording
        self.what = what
        self.example = example
        self.field = field
        shown = repr(wording) if not isinstance(wording, str) else repr(wording.strip())
        if len(shown) > 80:
            shown = shown[:77] + "...'"
        hint = f" (e.g. {example})" if example else ""
        super().__init__(f"{field}: cannot read {shown} as {what}{hint}")

    def named(self, field: str) -> ValueReadError:
        """Return the same error naming ``field``."""
        return ValueReadError(self.wording, self.what, self.example, field)
