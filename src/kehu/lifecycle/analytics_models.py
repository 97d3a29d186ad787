"""Small daily summaries of the stage history, so the analytics page answers over a
million customers without reading millions of history rows per request.

* ``StageFlowDaily``: per model and local day, how many customers moved ``from → to``
  (``from`` empty: placed in the model). Summed up to a date it gives each stage's
  count at that date; over a period, the flows. Today's moves are read live.
* ``StatsSnapshot``: per model and day, the funnel, time in stage and cohort
  retention over every customer (JSON), as of the end of the previous day.

Both are written by the ``lifecycle_analytics`` daily job (``analytics_jobs``) and can be
rebuilt from the history at any time: they hold nothing the history does not.
"""

from __future__ import annotations

from django.db import models

# The lifecycle models by label: models.py imports this module (so Django registers
# these with the app), so this one may not import models.py back.


class StageFlowDaily(models.Model):
    model = models.ForeignKey(
        "lifecycle.LifecycleModel", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()
    from_stage = models.ForeignKey(
        "lifecycle.Stage", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_stage = models.ForeignKey("lifecycle.Stage", on_delete=models.CASCADE, related_name="+")
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["model", "day"], name="lifecycle_flowdaily_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.from_stage_id}→{self.to_stage_id}: {self.count}"


class StatsSnapshot(models.Model):
    model = models.ForeignKey(
        "lifecycle.LifecycleModel", on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField()  # the last day the snapshot covers
    computed_at = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "day"], name="lifecycle_snapshot_once")
        ]

    def __str__(self) -> str:
        return f"{self.model_id} {self.day}"
