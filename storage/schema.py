"""Imports every table module so that `SQLModel.metadata` describes the whole schema.

A feature that adds tables adds its module here (one line) and a migration under
`storage/migrations/versions/`.
"""

from __future__ import annotations

from sqlmodel import SQLModel

import storage.assessments
import storage.candidates
import storage.documents
import storage.dues
import storage.file_links
import storage.inbox
import storage.meetings
import storage.membership
import storage.minutes
import storage.outbox
import storage.reports
import storage.resolutions
import storage.tables
import storage.tallies  # noqa: F401

metadata = SQLModel.metadata
