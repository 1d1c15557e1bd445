"""A head reshapes a pipeline that holds deals: a stage (or a pipeline) holding deals cannot
be removed, and its deals can be moved to another stage first.

Deals store stage keys, never names, so renaming a stage keeps its history and reports; only
removing a key could strand deals, and that is what the guard refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_core.access import may_change_settings
from crm_core.deals import relocate_deals
from crm_core.errors import NotFound, RuleError
from crm_core.model import AuditEntry, Manager
from crm_core.pipelines import StageRuleViolation
from crm_core.storage.ports import UnitOfWork
from intake.bootstrap import Services
from intake.clock import utcnow


async def stages_keep_their_deals(
    uow: UnitOfWork, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> None:
    """The pipelines guard (`intake.settings_changes.GUARDS`): refuse (409) removing a stage,
    changing its kind, or deleting the whole pipeline while deals stand in it, naming the
    stage and how many."""
    if before is None:
        return
    counts = await uow.sales.stage_counts(str(before["key"]))
    if after is None:
        total = sum(counts.values())
        if total:
            raise RuleError(
                "pipeline_has_deals",
                "key",
                f"В воронке «{before['name']}» {deals_text(total)}: перенесите их на этапы"
                " другой воронки или закройте, прежде чем удалять воронку",
                409,
            )
        return
    kept = {str(s["key"]): s for s in after.get("stages", ())}
    for index, stage in enumerate(before.get("stages", ())):
        held = counts.get(str(stage["key"]), 0)
        if not held:
            continue
        if stage["key"] not in kept:
            raise RuleError(
                "stage_has_deals",
                f"stages[{index}]",
                f"На этапе «{stage['name']}» ({stage['key']}) {deals_text(held)}: перенесите"
                " их на другой этап (move-deals), прежде чем удалять этап",
                409,
            )
        new_kind = kept[str(stage["key"])].get("kind", "open")
        if new_kind != stage.get("kind", "open"):
            # The deals' status (open, won, lost) follows their stage's kind.
            raise RuleError(
                "stage_has_deals",
                f"stages[{index}].kind",
                f"На этапе «{stage['name']}» ({stage['key']}) {deals_text(held)}: тип этапа"
                " нельзя сменить, пока на нём есть сделки; перенесите их (move-deals)",
                409,
            )


async def move_stage_deals(
    services: Services, actor: Manager, pipeline_key: str, stage: str, to: str
) -> list[int]:
    """Move every deal standing in `stage` to the stage `to` of the same pipeline (heads
    only), each recorded in its history like a normal move, the whole audited; returns the
    ids moved."""
    if not may_change_settings(actor):
        raise RuleError(
            "forbidden", "Authorization", "only a head of sales moves a stage's deals", 403
        )
    pipeline = services.sales.pipelines.get(pipeline_key)
    if pipeline is None:
        raise NotFound("key", f"no pipeline {pipeline_key!r}")
    try:
        source = pipeline.stage(stage)
    except StageRuleViolation as err:
        raise NotFound("stage", f"pipeline {pipeline_key!r} has no stage {stage!r}") from err
    try:
        target = pipeline.stage(to)
    except StageRuleViolation as err:
        raise RuleError("unknown_stage", "to", err.message, 422) from err
    now = utcnow()
    async with services.storage.transaction() as uow:
        moved = await relocate_deals(uow, pipeline.key, source, target, actor, now)
        await uow.audit.add_many(
            [
                AuditEntry(
                    actor.login,
                    "settings.pipelines",
                    0,
                    "move_deals",
                    now,
                    before={"pipeline": pipeline.key, "stage": source.key, "deals": moved},
                    after={"pipeline": pipeline.key, "stage": target.key, "deals": moved},
                )
            ]
        )
    return moved


def deals_text(count: int) -> str:
    """«1 сделка», «3 сделки», «5 сделок»."""
    tens, ones = count % 100, count % 10
    if ones == 1 and tens != 11:
        word = "сделка"
    elif 2 <= ones <= 4 and not 12 <= tens <= 14:
        word = "сделки"
    else:
        word = "сделок"
    return f"{count} {word}"
