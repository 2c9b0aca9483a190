"""The demo data tells the truth about clm: who may do what, and what the library holds."""

from __future__ import annotations

from sqlalchemy import select

from clm import db
from clm.demo import seed
from clm.users import User
from clm.versions.models import Version, VersionSource


def test_every_demo_version_was_stored_by_someone_allowed_to(app) -> None:
    with db.transaction_for(db.sessionmaker_for(app)) as session:
        seed(session)
    with db.sessionmaker_for(app)() as session:
        users = {u.email: u for u in session.scalars(select(User))}
        versions = list(session.scalars(select(Version)))
        assert versions
        for version in versions:
            if version.source is VersionSource.COUNTERPARTY:
                assert version.author not in users  # the counterparty's own counsel, not one of ours
            else:
                assert users[version.author].can("contracts.write"), (version.filename, version.author)
