"""The rules of cell work (../shared/domain.md), pure: no database, no messenger, no clock reads.

A newcomer finds a rule here by its name: `vocabulary` (the words as enums), `review` (levels,
who is rated, the quota, the target), `review_window` (when a review period is open),
`meeting_rules` (meeting dates, reminder plans, attendance quality, removal), `roll_call` (a
paper roll call typed in one message), `membership` (probation, admissions), `history` (a
member's standing on a day from dated events), `roster_changes` (what a transfer, exemption or
departure may change), `report_kinds` (report types as typed), `periods` (months, quarters,
years and review periods), `dates` (the one parser of typed dates), `figures` (fractions and their display),
`errors` (the one `UserError`), `messages` (the value types every layer speaks) and `text`
(folding of Vietnamese input).
"""
