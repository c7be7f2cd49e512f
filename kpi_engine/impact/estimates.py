"""Impact analytics: did taking part in a challenge move a rep's KPIs, or only look like it?

The estimate is a difference in differences on per-rep values: each rep's change from the
pre-window (equal length, right before the start) to the window, averaged over participants,
minus the same over comparable non-participants. Subtracting each rep's own "before" removes
who joined (the best reps join first); subtracting the comparison group's change removes what
happened to everybody (a good quarter). What remains is only credible if both groups were
moving alike before the challenge, so a placebo difference in differences over the period
before the pre-window is checked too. The naive difference (participants against the rest,
during the window) is reported beside it, labelled, because it is what people compute by
hand and what this module exists to correct.

Any KPI of the registry can be measured this way (impact_registry); the four core ones (win
rate, deal size, days to close, revenue per rep) are the default.

kpi_engine knows nothing of challenges: the caller passes the window, who took part, who is
comparable, and each participant's missions and points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np
from sqlalchemy.orm import Session

from kpi_engine.errors import Invalid
from kpi_engine.impact.adjusted import adjusted_difference
from kpi_engine.impact.bootstrap import (
    DRAWS,
    LEVEL,
    NO_INTERVAL,
    SEED,
    Interval,
    difference_of_means,
    new_rng,
    spearman,
)
from kpi_engine.impact.kpi_values import NOT_PER_REP, impact_name, registry_cells
from kpi_engine.impact.panel import CORE_KPIS, FloatArray, KpiCells, Panel, Span, StudyRows
from kpi_engine.impact.randomised import PermutationInterval, permutation_interval, strata_codes
from kpi_engine.kpis.registry import REGISTRY
from kpi_engine.words import N_, Lowered, said

MIN_REPS = 5
MIN_RECORDS = 20  # deals, or activities for an activity KPI
# The pre-trend check runs for every KPI of every challenge: at 95 % it would cry wolf on one
# challenge in seven (three KPIs); at 99 % it still catches a real divergence of a few points.
PLACEBO_LEVEL = 0.99
METHOD = said(
    N_(
        "difference in differences on per-rep values (window minus pre-window), participants "
        "against comparable non-participants; 95%% percentile bootstrap over reps"
    )
)
PRE_TREND, PRE, WINDOW, POST = (
    N_("before pre-window"),
    N_("pre-window"),
    N_("window"),
    N_("post-window"),
)
CORE_KEYS = tuple(k.key for k in CORE_KPIS)
RANDOMISED_METHOD = said(
    N_(
        "randomised comparison: difference in mean per-rep values over the window, reps kept "
        "in against the randomised holdout; 95%% interval by randomisation inference (the draw "
        "repeated %(draws)s times within its strata)"
    ),
    draws=2000,
)
MIN_ARM = 2  # reps with a value in each arm; fewer and no draw can tell anything apart
# Below this many reps in a group, the bootstrap interval runs narrow (it cannot see how much
# a handful of reps could differ by chance): the interval comes from permuting reps instead.
SMALL_GROUP = 15
SMALL_METHOD = said(
    N_(
        "difference in differences on per-rep values (window minus pre-window), participants "
        "against comparable non-participants; few reps, so the 95%% interval is by permutation "
        "of reps between the groups (randomisation inference), honest where a bootstrap is not"
    )
)
REMEDY = said(
    N_("a longer window, a holdout at launch, or a comparison team would make it measurable")
)
# One sentence per kind of record, so that each language words its own plural noun.
RECORDS_TOO_FEW = {
    "deals": N_(
        "too few deals behind the %(kpi)s (%(participants)s for participants, %(comparison)s for "
        "the comparison group; at least %(least)s in each are needed); %(remedy)s"
    ),
    "activities": N_(
        "too few activities behind the %(kpi)s (%(participants)s for participants, "
        "%(comparison)s for the comparison group; at least %(least)s in each are needed); "
        "%(remedy)s"
    ),
}


@dataclass(frozen=True)
class Intensity:
    """How much a participant took part: missions completed and points earned."""

    missions_completed: int
    points: float


@dataclass(frozen=True)
class Randomisation:
    """A holdout drawn at random at launch: the reps kept in and out, and each one's stratum."""

    treated_ids: frozenset[int]
    holdout_ids: frozenset[int]
    strata: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImpactDesign:
    """What to compare: the challenge window, who took part, and who is comparable; with a
    randomised holdout, the draw (then the main estimate compares its two arms)."""

    start: datetime
    end: datetime
    participant_ids: frozenset[int]
    control_ids: frozenset[int]
    participation: Mapping[int, Intensity] = field(default_factory=dict)
    randomisation: Randomisation | None = None
    # Each rep's share of the window spent in another challenge: controlled for when present.
    exposure: Mapping[int, float] = field(default_factory=dict)


@dataclass(frozen=True)
class GroupMeans:
    """Mean per-rep value of each group in one period: the points of the before/during chart."""

    period: str
    participants: float | None
    control: float | None


@dataclass(frozen=True)
class KpiImpact:
    key: str
    name: str
    unit: str
    better: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    naive_difference: float | None
    n_participants: int
    n_control: int
    n_deals: int
    n_activities: int
    method: str
    warnings: list[str]
    verdict: str
    pre_trend: Interval
    post: Interval | None
    series: list[GroupMeans]
    # "randomised" when the main estimate compares a holdout's two arms; then the difference in
    # differences is the robustness check beside it.
    design: str = "difference_in_differences"
    robustness: Interval | None = None
    robustness_verdict: str | None = None
    p_value: float | None = None

    @property
    def interval(self) -> Interval:
        return Interval(self.estimate, self.ci_low, self.ci_high)


@dataclass(frozen=True)
class IntensityPoint:
    rep_id: int
    missions_completed: int
    points: float
    change: float


@dataclass(frozen=True)
class IntensityLink:
    """Per participant, participation against the change in one KPI, as rank correlations."""

    kpi: str
    by_missions: Interval
    by_points: Interval
    points: list[IntensityPoint]
    warnings: list[str]


@dataclass(frozen=True)
class ImpactReport:
    window: Span
    pre_window: Span
    post_window: Span | None
    still_running: bool
    kpis: dict[str, KpiImpact]
    intensity: list[IntensityLink]
    incremental_revenue: Interval


def measure_impact(
    session: Session,
    design: ImpactDesign,
    *,
    now: datetime,
    seed: int = SEED,
    draws: int = DRAWS,
    intensity: bool = True,
    kpis: Sequence[str] = CORE_KEYS,
) -> ImpactReport:
    """The impact of taking part on each KPI asked for (keys of the core four or of the
    registry), with intervals, sample sizes and warnings; with `intensity`, also participation
    against each KPI's change (half the work: a side-by-side comparison leaves it out)."""
    keys = list(dict.fromkeys(kpis))
    _check(design, now, keys)
    spans = study_spans(design.start, design.end, now)
    study = StudyRows(session, design.participant_ids | design.control_ids, spans)
    found = _core(study, design, new_rng(seed), draws, intensity)
    for key in keys:
        if key not in found:
            cells = registry_cells(study, key)
            found[key] = _measured(cells, study, design, new_rng(seed, key), draws, intensity)
    revenue = found["revenue_won"][0]
    return ImpactReport(
        window=_span(spans, WINDOW),
        pre_window=_span(spans, PRE),
        post_window=_span(spans, POST) if len(spans) == 4 else None,
        still_running=now < design.end,
        kpis={k: found[k][0] for k in keys},
        intensity=[link for k in keys if (link := found[k][1]) is not None],
        incremental_revenue=_scaled(revenue, _treated_count(design))
        if revenue.verdict != "inconclusive"
        else NO_INTERVAL,
    )


def kpi_choices() -> dict[str, str]:
    """The KPIs impact analytics can measure per rep, key to name: the core four first."""
    core: dict[str, str] = {k.key: k.name for k in CORE_KPIS}
    others = {k: impact_name(d) for k, d in REGISTRY.items() if k not in core | NOT_PER_REP.keys()}
    return core | others


_Measured = tuple[KpiImpact, IntensityLink | None]


def _core(
    study: StudyRows, design: ImpactDesign, rng: np.random.Generator, draws: int, intensity: bool
) -> dict[str, _Measured]:
    """The four core KPIs, always all of them in this order from one generator, so that their
    figures do not depend on which other KPIs were asked for (nor move from earlier reports)."""
    panel = Panel.of(study)
    cells = [k.cells(panel) for k in CORE_KPIS]
    impacts = [_kpi_impact(c, study, design, rng, draws) for c in cells]
    links = [_intensity(c, study, design, rng, draws) if intensity else None for c in cells]
    return {c.key: (i, link) for c, i, link in zip(cells, impacts, links, strict=True)}


def _measured(
    cells: KpiCells,
    study: StudyRows,
    design: ImpactDesign,
    rng: np.random.Generator,
    draws: int,
    intensity: bool,
) -> _Measured:
    impact = _kpi_impact(cells, study, design, rng, draws)
    return impact, _intensity(cells, study, design, rng, draws) if intensity else None


def _check(design: ImpactDesign, now: datetime, keys: Sequence[str]) -> None:
    errors: dict[str, list[str]] = {}
    unknown = ", ".join(repr(k) for k in keys if k not in REGISTRY and k not in CORE_KEYS)
    if unknown:
        known = ", ".join(dict.fromkeys((*CORE_KEYS, *REGISTRY)))
        errors["kpis"] = [
            said(N_("unknown KPI %(unknown)s; known: %(known)s"), unknown=unknown, known=known)
        ]
    elif not keys:
        errors["kpis"] = [N_("ask for at least one KPI")]
    if design.start.tzinfo is None or design.end.tzinfo is None:
        errors["window"] = [N_("the window needs aware datetimes")]
    elif design.end <= design.start:
        errors["window"] = [N_("the window must end after it starts")]
    elif now <= design.start:
        errors["window"] = [N_("the challenge has not started, so there is nothing to measure yet")]
    if design.participant_ids & design.control_ids:
        errors["control_ids"] = [N_("a rep cannot be both a participant and a comparison rep")]
    if errors:
        raise Invalid(N_("the impact of this challenge cannot be measured as asked"), errors)


def study_spans(start: datetime, end: datetime, now: datetime) -> list[Span]:
    """Equal-length periods: before the pre-window, pre-window, window (so far), and post-window
    once it has fully passed."""
    length = min(end, now) - start
    spans = [
        Span(PRE_TREND, start - 2 * length, start - length),
        Span(PRE, start - length, start),
        Span(WINDOW, start, start + length),
    ]
    if now >= end + length:
        spans.append(Span(POST, end, end + length))
    return spans


def _treated_count(design: ImpactDesign) -> int:
    """The reps the estimate is per: the arm kept in with a holdout, else the participants."""
    if design.randomisation is not None:
        return len(design.randomisation.treated_ids)
    return len(design.participant_ids)


def _span(spans: list[Span], label: str) -> Span:
    return next(s for s in spans if s.label == label)


def _scaled(kpi: KpiImpact, factor: int) -> Interval:
    def times(x: float | None) -> float | None:
        return None if x is None else x * factor

    return Interval(times(kpi.estimate), times(kpi.ci_low), times(kpi.ci_high))


def _group_rows(study: StudyRows, ids: frozenset[int]) -> np.ndarray:
    return np.array([i for i, rep in enumerate(study.rep_ids) if rep in ids], dtype=np.int64)


@dataclass(frozen=True)
class _Changes:
    """Per-rep changes between two periods for one group, over reps with data in both, and
    the records (deals or activities) behind them."""

    values: FloatArray
    records: int
    rows: np.ndarray  # the reps (rows of the study) the values are of

    @classmethod
    def between(
        cls, kpi: KpiCells, study: StudyRows, rows: np.ndarray, before: str, after: str
    ) -> _Changes:
        columns = np.array([study.column(before), study.column(after)])
        value = kpi.value[np.ix_(rows, columns)]
        present = ~np.isnan(value).any(axis=1)
        records = kpi.records[np.ix_(rows[present], columns)].sum()
        return cls(value[present, 1] - value[present, 0], int(records), rows[present])

    def exposure(self, study: StudyRows, design: ImpactDesign) -> FloatArray:
        """Each rep's share of the window spent in another challenge (0 for most)."""
        ids = [study.rep_ids[i] for i in self.rows]
        return np.array([design.exposure.get(rep, 0.0) for rep in ids], dtype=np.float64)


def _did(
    kpi: KpiCells,
    study: StudyRows,
    design: ImpactDesign,
    periods: tuple[str, str],
    rng: np.random.Generator,
    draws: int,
    level: float = LEVEL,
) -> tuple[Interval, _Changes, _Changes]:
    treated = _Changes.between(kpi, study, _group_rows(study, design.participant_ids), *periods)
    control = _Changes.between(kpi, study, _group_rows(study, design.control_ids), *periods)
    if design.exposure:
        exposed = np.r_[treated.exposure(study, design), control.exposure(study, design)]
        if exposed.any():
            effect = adjusted_difference(
                treated.values, treated.exposure(study, design), control.values,
                control.exposure(study, design), rng, draws, level,
            )  # fmt: skip
            return effect or NO_INTERVAL, treated, control
    if _small(treated, control):
        return _permuted(treated.values, control.values, rng, draws, level), treated, control
    effect = difference_of_means(treated.values, control.values, rng, draws, level)
    return effect, treated, control


def _small(treated: _Changes, control: _Changes) -> bool:
    return min(treated.values.size, control.values.size) < SMALL_GROUP


def _permuted(
    treated: FloatArray, control: FloatArray, rng: np.random.Generator, draws: int, level: float
) -> Interval:
    """mean(treated) − mean(control) with its interval by permuting reps between the groups."""
    if min(treated.size, control.size) < MIN_ARM:
        return difference_of_means(treated, control, rng, 0, level)
    mask = np.r_[np.ones(treated.size, bool), np.zeros(control.size, bool)]
    found = permutation_interval(np.r_[treated, control], mask, rng=rng, draws=draws, level=level)
    return Interval(found.estimate, found.low, found.high)


def _blocker(
    kpi: KpiCells, design: ImpactDesign, effect: Interval, treated: _Changes, control: _Changes
) -> str | None:
    """Why no effect can be estimated at all, if there is a reason."""
    if kpi.unmeasurable:
        return kpi.unmeasurable
    if not design.control_ids:
        return said(
            N_(
                "no comparable group: there are no reps of the same sales roles who did not "
                "take part, so the challenge's effect cannot be told apart from everything "
                "else; a holdout at launch, or a comparison team of the same sales roles, would "
                "make it measurable"
            )
        )
    least = MIN_ARM if _small(treated, control) else MIN_REPS
    if effect.estimate is None and min(treated.values.size, control.values.size) >= least:
        return said(
            N_(
                "the reps who took part were exactly those in another challenge at the same "
                "time (or none of them was and every comparison rep was): the two challenges' "
                "effects cannot be told apart; a holdout, or a comparison team outside the "
                "other challenge, would make it measurable"
            )
        )
    if min(treated.values.size, control.values.size) < least:
        return said(
            N_(
                "too few reps with a %(kpi)s both before and during the challenge "
                "(%(participants)s participants, %(comparable)s comparable; "
                "at least %(least)s in each group are needed); %(remedy)s"
            ),
            kpi=Lowered(kpi.name),
            participants=int(treated.values.size),
            comparable=int(control.values.size),
            least=least,
            remedy=REMEDY,
        )
    if not _small(treated, control) and min(treated.records, control.records) < MIN_RECORDS:
        return said(
            RECORDS_TOO_FEW[kpi.records_are],
            kpi=Lowered(kpi.name),
            participants=int(treated.records),
            comparison=int(control.records),
            least=MIN_RECORDS,
            remedy=REMEDY,
        )
    return None


def _pre_trend_warning(
    kpi: KpiCells, placebo: Interval, treated: _Changes, control: _Changes
) -> tuple[bool, str | None]:
    """Whether the groups were already diverging before the challenge, and what to say."""
    least = MIN_ARM if _small(treated, control) else MIN_REPS
    if min(treated.values.size, control.values.size) < least:
        return False, said(
            N_(
                "the trends before the challenge could not be checked (too little data in the "
                "period before the pre-window); the estimate assumes both groups were moving "
                "alike"
            )
        )
    if placebo.excludes_zero:
        return True, said(
            N_(
                "participants' %(kpi)s was already moving differently from the comparison "
                "group's before the challenge (placebo difference %(estimate)s, 99%% interval "
                "%(low)s to %(high)s), so no effect is claimed"
            ),
            kpi=Lowered(kpi.name),
            estimate=placebo.estimate,
            low=placebo.low,
            high=placebo.high,
        )
    return False, None


def _group_mean(values: FloatArray, rows: np.ndarray) -> float | None:
    """The mean over the reps that have a value (None when none has)."""
    cells = values[rows]
    cells = cells[~np.isnan(cells)]
    return float(cells.mean()) if cells.size else None


def _naive(kpi: KpiCells, study: StudyRows, design: ImpactDesign) -> float | None:
    """Participants' mean minus the comparison group's during the window: shown, not trusted."""
    window = kpi.value[:, study.column(WINDOW)]
    treated = _group_mean(window, _group_rows(study, design.participant_ids))
    control = _group_mean(window, _group_rows(study, design.control_ids))
    return None if treated is None or control is None else treated - control


def _series(kpi: KpiCells, study: StudyRows, design: ImpactDesign) -> list[GroupMeans]:
    treated = _group_rows(study, design.participant_ids)
    control = _group_rows(study, design.control_ids)
    return [
        GroupMeans(
            s.label, _group_mean(kpi.value[:, i], treated), _group_mean(kpi.value[:, i], control)
        )
        for i, s in enumerate(study.spans)
    ]


def _kpi_impact(
    kpi: KpiCells, study: StudyRows, design: ImpactDesign, rng: np.random.Generator, draws: int
) -> KpiImpact:
    effect, treated, control = _did(kpi, study, design, (PRE, WINDOW), rng, draws)
    placebo, p_treated, p_control = _did(
        kpi, study, design, (PRE_TREND, PRE), rng, draws, PLACEBO_LEVEL
    )
    blocker = _blocker(kpi, design, effect, treated, control)
    diverged, trend_note = _pre_trend_warning(kpi, placebo, p_treated, p_control)
    warnings = [note for note in (blocker or trend_note,) if note]
    blocking = blocker is not None
    shown = NO_INTERVAL if blocking else effect
    post = None
    if len(study.spans) == 4 and not blocking:
        post = _did(kpi, study, design, (PRE, POST), rng, draws)[0]
    records = treated.records + control.records
    impact = KpiImpact(
        key=kpi.key,
        name=kpi.name,
        unit=kpi.unit,
        better=kpi.better,
        estimate=shown.estimate,
        ci_low=shown.low,
        ci_high=shown.high,
        naive_difference=_naive(kpi, study, design),
        n_participants=int(treated.values.size),
        n_control=int(control.values.size),
        n_deals=records if kpi.records_are == "deals" else 0,
        n_activities=records if kpi.records_are == "activities" else 0,
        method=SMALL_METHOD if _small(treated, control) else METHOD,
        warnings=warnings + _noise_note(kpi, shown, _small(treated, control) and not blocking),
        verdict=_verdict(blocking or diverged, shown, _small(treated, control)),
        pre_trend=placebo,
        post=post,
        series=_series(kpi, study, design),
    )
    if design.randomisation is None or kpi.unmeasurable:
        return impact
    return _randomised(impact, kpi, study, design.randomisation, rng, draws)


def _randomised(
    did: KpiImpact,
    kpi: KpiCells,
    study: StudyRows,
    draw: Randomisation,
    rng: np.random.Generator,
    draws: int,
) -> KpiImpact:
    """The holdout's comparison as the main estimate, the difference in differences beside it."""
    window = kpi.value[:, study.column(WINDOW)]
    rows = [
        (i, rep in draw.treated_ids, draw.strata.get(rep, ""))
        for i, rep in enumerate(study.rep_ids)
        if (rep in draw.treated_ids or rep in draw.holdout_ids) and not np.isnan(window[i])
    ]
    index = np.array([r[0] for r in rows], dtype=np.int64)
    arm = np.array([r[1] for r in rows], dtype=bool)
    found = permutation_interval(
        window[index], arm, strata_codes([r[2] for r in rows]), rng=rng, draws=draws
    )
    warnings = _randomised_warnings(kpi, found)
    blocked = min(found.n_treated, found.n_control) < MIN_ARM
    return replace(
        did,
        estimate=None if blocked else found.estimate,
        ci_low=None if blocked else found.low,
        ci_high=None if blocked else found.high,
        n_participants=found.n_treated,
        n_control=found.n_control,
        method=RANDOMISED_METHOD,
        warnings=warnings,
        verdict="inconclusive" if blocked else permutation_verdict(found),
        design="randomised",
        robustness=did.interval,
        robustness_verdict=did.verdict,
        p_value=None if blocked else found.p_value,
    )


def permutation_verdict(found: PermutationInterval) -> str:
    """'effect' when the interval excludes zero; 'too_noisy' when it spans zero."""
    return "effect" if found.excludes_zero else "too_noisy"


def _randomised_warnings(kpi: KpiCells, found: PermutationInterval) -> list[str]:
    counts = {"kpi": Lowered(kpi.name), "kept": found.n_treated, "held": found.n_control}
    if min(found.n_treated, found.n_control) < MIN_ARM:
        return [
            said(
                N_(
                    "too few reps with a %(kpi)s in the window (%(kept)s kept in, %(held)s held "
                    "out; at least %(least)s in each are needed): a longer window or a larger "
                    "holdout would make it measurable"
                ),
                least=MIN_ARM,
                **counts,
            )
        ]
    if found.low is None or found.high is None:
        return [
            said(
                N_(
                    "with %(kept)s reps kept in and %(held)s held out, no re-draw of the holdout "
                    "can tell an effect on %(kpi)s from chance, however large: too noisy to "
                    "tell; a larger holdout or a longer window would make it measurable"
                ),
                **counts,
            )
        ]
    return []


def _verdict(inconclusive: bool, effect: Interval, small: bool = False) -> str:
    """'effect' only when nothing undermines the comparison and the interval excludes zero;
    with few reps, an interval spanning zero is 'too noisy to tell', not 'no effect'."""
    if inconclusive:
        return "inconclusive"
    if effect.excludes_zero:
        return "effect"
    return "too_noisy" if small else "no_detectable_effect"


def _noise_note(kpi: KpiCells, effect: Interval, small: bool) -> list[str]:
    """With few reps and an interval spanning zero (or unbounded), say what would help."""
    if not small or effect.excludes_zero:
        return []
    return [
        said(
            N_(
                "too few reps to tell an effect on %(kpi)s from chance (the interval spans "
                "zero); %(remedy)s"
            ),
            kpi=Lowered(kpi.name),
            remedy=REMEDY,
        )
    ]


def _intensity(
    kpi: KpiCells, study: StudyRows, design: ImpactDesign, rng: np.random.Generator, draws: int
) -> IntensityLink:
    change = kpi.value[:, study.column(WINDOW)] - kpi.value[:, study.column(PRE)]
    points = [
        IntensityPoint(rep, part.missions_completed, part.points, float(change[i]))
        for i, rep in enumerate(study.rep_ids)
        if (part := design.participation.get(rep)) is not None
        and rep in design.participant_ids
        and not np.isnan(change[i])
    ]
    missions = np.array([p.missions_completed for p in points], dtype=np.float64)
    earned = np.array([p.points for p in points], dtype=np.float64)
    changes = np.array([p.change for p in points], dtype=np.float64)
    if len(points) < MIN_REPS:
        note = kpi.unmeasurable or said(
            N_("only %(count)s participants have a %(kpi)s to compare"),
            count=len(points),
            kpi=Lowered(kpi.name),
        )
        return IntensityLink(kpi.key, NO_INTERVAL, NO_INTERVAL, points, [note])
    return IntensityLink(
        kpi=kpi.key,
        by_missions=spearman(missions, changes, rng, draws),
        by_points=spearman(earned, changes, rng, draws),
        points=points,
        warnings=[],
    )
