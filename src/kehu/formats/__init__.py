"""Dates and numbers look the same in every language of the app (``FORMAT_MODULE_PATH``):
``2026-06-30`` and ``2026-06-30 14:05`` as the pages already write them with ``|date``,
not Django's ``2026年6月30日`` / ``June 30, 2026`` for a date rendered without a filter;
thousands grouped by commas (Django's zh-Hans groups nothing). Input formats stay
Django's. Money, counts and percentages: ``kehu.core.money`` and ``kehu.core.numbers``."""
