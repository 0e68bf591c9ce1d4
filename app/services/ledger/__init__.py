"""创建台账: the year's plan, evidence gathered from the work itself, progress, 道德讲堂 records and
reflections, uploaded documents and the inspection pack. One module per concern:

- ``plan``: install a year's plan (the shipped default or last year's), read and edit items;
- ``evidence``: which events count for which item (default by kind, or tagged);
- ``progress``: targets against evidence per item and half-year, in words;
- ``records``: 道德讲堂 records and 感悟 (reflections);
- ``documents``: uploaded files, checked by content and stored privately;
- ``export``: the zip for inspectors; ``report``: its PDFs;
- ``reminders``: the half-year reminder to owners of items behind, and the digest's lines.
"""
