"""检查考评: inspection rounds and their score sheets, department checks, the staff survey, the 通报 and
rectifications. One module per concern:

- ``rounds``: create a round from a year's plan, score items beside their 台账 evidence, submit, lock,
  audited corrections after locking;
- ``checks``: item 14's room-by-room checklist, pass/fail with notes and photos, department ranking;
- ``surveys``: the staff survey, answered once per person and anonymously, its results;
- ``rectifications``: 待整改 → 已整改 → 已验收 (or back), reminders and the digest's lines;
- ``report``: the 通报 as .docx and PDF, publishing it (announcement, 台账 evidence under item 2).
"""
