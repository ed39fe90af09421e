"""The rules of cell work (../shared/domain.md), pure: no database, no messenger, no clock reads.

A newcomer finds a rule here by its name: `vocabulary` (the words as enums), `review` (levels,
who is rated, the quota, the target), `meeting_rules` (meeting dates, reminder plans, attendance
quality, removal), `membership` (probation, admissions), `periods` (months, quarters, years and
review periods), `dates` (the one parser of typed dates), `figures` (fractions and their display),
`errors` (the one `UserError`), `messages` (the value types every layer speaks) and `text`
(folding of Vietnamese input).
"""
