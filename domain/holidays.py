"""Vietnam's public holidays (ngày nghỉ lễ, Tết) on weekdays, as data: the working-day deadlines of
Party development (the ceremony within 30 working days of the decision, the cell's review within 30
working days after probation) skip them, as they skip Saturdays and Sundays.

Source: Bộ luật Lao động 2019, Điều 112 (1/1; Tết Âm lịch 5 days; Giỗ Tổ Hùng Vương 10/3 âm lịch;
30/4; 1/5; 2/9 and one day before or after), with each year's arrangement for civil servants as
the Government announces it (a holiday on a weekend is made up on the next working day). Only the
weekdays off are listed: weekends are skipped anyway. The Government fixes Tết and 2/9 each year;
where its notice differs, correct the list here: it is the only place the dates live.
"""

from __future__ import annotations

from datetime import date

HOLIDAYS: frozenset[date] = frozenset({
    # 2026
    date(2026, 1, 1),  # Tết Dương lịch (Thursday)
    date(2026, 2, 16), date(2026, 2, 17), date(2026, 2, 18), date(2026, 2, 19),
    date(2026, 2, 20),  # Tết Bính Ngọ: 14/02–22/02 off (Mùng 1 Tết on 17/02), the weekdays Monday–Friday
    date(2026, 4, 27),  # Giỗ Tổ Hùng Vương (10/3 âm lịch = Sunday 26/04), made up on Monday
    date(2026, 4, 30), date(2026, 5, 1),  # Ngày Giải phóng miền Nam, Quốc tế Lao động (Thursday, Friday)
    date(2026, 9, 1), date(2026, 9, 2),  # Quốc khánh (Tuesday, Wednesday)
    # 2027
    date(2027, 1, 1),  # Tết Dương lịch (Friday)
    date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10),
    date(2027, 2, 11),  # Tết Đinh Mùi (Mùng 1 Tết on Saturday 06/02): 30 Tết, then the weekend made up
    date(2027, 4, 16),  # Giỗ Tổ Hùng Vương (10/3 âm lịch, Friday)
    date(2027, 4, 30),  # Ngày Giải phóng miền Nam (Friday)
    date(2027, 5, 3),  # Quốc tế Lao động (Saturday 01/05), made up on Monday
    date(2027, 9, 2), date(2027, 9, 3),  # Quốc khánh (Thursday, Friday)
})
