"""CSAT and NPS arithmetic (no Django): buckets of sent invitations and their scores.

* CSAT: the share of 4–5 answers (满意率) and the mean of the 1–5 scores.
* NPS: % promoters (9–10) − % detractors (0–6), from −100 to 100.
* Response rate: answered / sent.
"""

from __future__ import annotations

from dataclasses import dataclass


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Bucket:
    key: str
    label: str
    sent: int = 0
    answered: int = 0
    csat_count: int = 0
    csat_sum: int = 0
    csat_satisfied: int = 0
    nps_count: int = 0
    promoters: int = 0
    detractors: int = 0

    def add(self, *, answered: bool, csat: int | None, nps: int | None) -> None:
        self.sent += 1
        if not answered:
            return
        self.answered += 1
        if csat is not None:
            self.csat_count += 1
            self.csat_sum += csat
            self.csat_satisfied += csat >= 4
        if nps is not None:
            self.nps_count += 1
            self.promoters += nps >= 9
            self.detractors += nps <= 6

    @property
    def response_rate(self) -> float | None:
        return _pct(self.answered, self.sent)

    @property
    def csat_share(self) -> float | None:
        return _pct(self.csat_satisfied, self.csat_count)

    @property
    def csat_mean(self) -> float | None:
        return round(self.csat_sum / self.csat_count, 2) if self.csat_count else None

    @property
    def nps(self) -> float | None:
        if not self.nps_count:
            return None
        return round(100.0 * (self.promoters - self.detractors) / self.nps_count, 1)

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "label": self.label,
            "sent": self.sent,
            "answered": self.answered,
            "response_rate": self.response_rate,
            "csat_count": self.csat_count,
            "csat_share": self.csat_share,
            "csat_mean": self.csat_mean,
            "nps_count": self.nps_count,
            "promoters": self.promoters,
            "detractors": self.detractors,
            "nps": self.nps,
        }
