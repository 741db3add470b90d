"""Plan summary sections computed from the config and the graph: preflight findings, the capacity
table per model, and the bring-up estimate beside the reference guides' order."""

from __future__ import annotations

from derive.serving import model_size
from derive.naming import derive
from derive.replicas import max_replicas, min_replicas
from derive.routing import routers
from derive.serving import serving_plan
from preview.bringup import estimate
from preview.diff import rules_for
from preview.runner import Plan


def _minutes(seconds: int) -> str:
    h, m = divmod(round(seconds / 60), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _span(seconds: int) -> str:
    return f"{seconds} s" if seconds < 60 else _minutes(seconds)
def routers_of(plan: Plan) -> dict:
    """The routed models' router specs, re-derived from the plan's config as the program derives them."""
    cfg = plan.config
    names = derive(cfg, plan.stack)
    return routers(cfg, [serving_plan(cfg, names, m, f"{m.name}-api-key") for m in cfg.models])


def _balanced(m) -> str:
    """The replicas a router balances: a fixed count or the autoscaler's range, in groups for LWS."""
    low, high = min_replicas(m), max_replicas(m)
    count = str(high) if low == high else f"{low}-{high}"
    unit = f"group(s) of {m.nodes} nodes (leaders)" if m.nodes > 1 else "replica(s)"
    how = "fixed" if low == high else ("autoscaled from zero" if low == 0 else "autoscaled")
    return f"{count} {unit}, {how}"


def _router_cell(spec) -> str:
    return "none" if spec is None else f"{spec.replicas} x {spec.cpu} CPU / {spec.memory}"


def routing_section(plan: Plan) -> list[str]:
    """Per model: its router and policy, the replicas it balances, what the router requests on the CPU
    pool; models without one say the gateway calls their Service, pooled ones their InferencePool."""
    cfg = plan.config
    lines = ["## Routing", ""]
    if not cfg.models:
        return lines + ["No models.", ""]
    found = routers_of(plan)
    lines += ["| model | router | policy | replicas it balances | router pods (CPU pool) |", "|---|---|---|---|---|"]
    for m in cfg.models:
        r = found.get(m.name)
        if m.routing.via == "inferencePool":
            gateway = getattr(cfg.exposure.api, "gateway_name", "?")  # an httpRoute exposure (checks/routing.py)
            lines.append(f"| {m.name} | InferencePool `{m.name}-pool` on Gateway `{gateway}`, picker "
                         f"`{m.name}-epp` (lwepp) | round-robin | {_balanced(m)} | - |")
        elif r is None:
            lines.append(f"| {m.name} | none: the gateway calls `{m.name}-api` | - | {_balanced(m)} | - |")
        else:
            lines.append(f"| {m.name} | {r.router} `{r.name}` | {r.policy} (`--policy {r.policy_flag}`) | "
                         f"{_balanced(m)} | {_router_cell(r)} |")
    lines.append("")
    if found:
        lines += ["Each router discovers its model's serving pods by label in the namespace (a Role that reads pods "
                  "only), takes a replica out after three failed health checks, and is reachable from the gateway "
                  "alone; the engines accept their router only. See docs/routing.md.", ""]
    return lines


def preflight_section(plan: Plan) -> list[str]:
    result = plan.report
    lines = ["## Preflight", ""]
    if not result.findings:
        lines.append("No warnings: every check passed.")
    lines += [f"- warning: {w}" for w in result.warnings]
    lines += ["", "### Capacity", ""]
    if not result.capacity:
        return lines + ["No models.", ""]
    found = routers_of(plan)
    lines += ["| model | GPUs | parallelism | weights / GPU | sequences at max length | max length | largest that fits "
              "| router (CPU pool) | verdict |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in result.capacity:
        def show(v: object, unit: str = "") -> str:
            return "n/a" if v is None else f"{v}{unit}"
        lines.append(f"| {r.model} | {r.gpu} | {r.parallelism} | {show(r.weights_per_gpu_gib, ' GiB')} | "
                     f"{show(r.sequences)} | {show(r.max_len)} | {show(r.largest_len)} | "
                     f"{_router_cell(found.get(r.model))} | {r.verdict} |")
    return lines + [""]


def bringup_section(plan: Plan) -> list[str]:
    est = estimate(plan)
    lines = ["## Bring-up", ""]
    if not est.models:
        return lines + ["No models.", ""]
    lines += ["Estimated from the dependency graph above and the duration model in `preview/bringup.py`; the",
              "reference order is the guides' (GPU nodes first, then the download, then the servers). Cold: the "
              "weights come from the hub at the stack's download limit; at 1 Gbit/s: the same with the hub and "
              "the egress at 1000 Mbit/s; warm mirror: a new stack (or a lost volume) in the region whose "
              "weight mirror already holds the revision (`modelCache.mirror`).", "",
              "| model | first token, cold | cold at 1 Gbit/s | warm mirror | GPU-hours before it | "
              "reference order: first token | reference GPU-hours |",
              "|---|---|---|---|---|---|---|"]
    for m in est.models:
        warm = _minutes(m.warm_first_token_s) if m.warm_first_token_s is not None else "no mirror"
        gbit = _minutes(m.gbit_first_token_s) if m.gbit_first_token_s is not None else "n/a"
        lines.append(f"| {m.model} | {_minutes(m.first_token_s)} | {gbit} | {warm} | {m.gpu_hours} | "
                     f"{_minutes(m.reference_first_token_s)} | {m.reference_gpu_hours} |")
    lines.append("")
    longest = max(m.first_token_s for m in est.models)
    lines += [f"`pulumi up` waits for every download (the servers depend on the weights), so it runs about "
              f"{_minutes(longest)}: run it where it may (GitHub-hosted runners stop at 6 h; see the deploy "
              "workflow). GPU-hours follow the billing model in the Billing section.", ""]
    lines += ["Terms per model (derive/bringup.py; the graph above adds the cloud resources before them). Load "
              "reads the volume; stream reads the mirror instead (`load: stream`). A second replica joins a "
              "running model on a node that is up, its compile cache warm on the shared volume; on a local disk "
              "the node fills first (from the mirror, else the hub).", "",
              "| model | download from the hub | check | mirror upload | mirror fill | image pull | load | stream | "
              "engine init | init, cache warm | cold: Job (+ upload) + server | warm mirror: Job + server | second replica | "
              "hub bytes for a second replica |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]

    def opt(term) -> str:
        return _span(term.seconds) if term is not None else "-"

    def col(c) -> str:
        """The upload only where the server waits for it (a streaming engine)."""
        if c is None:
            return "-"
        return f"{_span(c.job)} + {_span(c.upload)} + {_span(c.server)}" if c.streams and c.upload else \
            f"{_span(c.job)} + {_span(c.server)}"

    for t in est.terms:
        lines.append(f"| {t.model} | {_span(t.download.seconds)} | {_span(t.verify.seconds)} | {opt(t.upload)} | "
                     f"{opt(t.fill)} | {_span(t.pull.seconds)} | {_span(t.load.seconds)} | {opt(t.stream)} | "
                     f"{_span(t.init.seconds)} | {opt(t.init_cached)} | {col(t.cold)} | {col(t.warm)} | "
                     f"{_span(t.second_replica_seconds)} | {t.hub_gb_second_replica:g} GB |")
    lines.append("")
    sources: dict[str, None] = {}
    for t in est.terms:
        extra = [(w, x) for w, x in (("upload", t.upload), ("fill", t.fill), ("stream", t.stream),
                                     ("init with cache", t.init_cached)) if x is not None]
        lines.append(f"- `{t.model}`: download {t.download.how}; check {t.verify.how}; pull {t.pull.how}; "
                     f"load {t.load.how}; init {t.init.how}" + "".join(f"; {w} {x.how}" for w, x in extra))
        for term in (t.download, t.verify, t.pull, t.load, t.init, *(x for _, x in extra)):
            sources[term.source] = None
    lines += ["", "Sources of the figures:"] + [f"- {x}" for x in sources] + [""]
    lines += ["Weights each estimate and the volume check use:", ""]
    for mc in plan.config.models:
        size = model_size(mc)
        lines.append(f"- `{mc.name}`: {size.gb:g} GB, from {size.origin}" if size else f"- `{mc.name}`: unknown")
    lines.append("")
    for m in est.models:
        lines.append(f"Critical path of `{m.model}`: " + " → ".join(m.critical_path))
        lines.append("")
    if est.hourly_cost:
        lines += ["GPU pools per hour with the models up: "
                  + ", ".join(f"{name} {cost:.2f}" for name, cost in est.hourly_cost), ""]
    return lines


def data_safety_section(plan: Plan) -> list[str]:
    """Protected resources and the inputs whose change would replace (or be refused on) them, from the
    same force-new table the plan diff uses: a reviewer sees what must never be edited casually."""
    protected = [r for r in plan.resources if r.options.get("protect")]
    lines = ["## Data safety", ""]
    if not protected:
        return lines + ["No protected resources.", ""]
    lines += ["Protected resources (`pulumi destroy` and replacements stop on them; run `pulumi state unprotect`",
              "first only if you mean to lose the data). A change to these inputs would replace them:", ""]
    for r in protected:
        what = f"{r.manifest['kind']} `{r.manifest['metadata']['name']}`" if r.is_k8s_object else \
            f"{r.type.split(':')[-1]} `{r.name}`"
        rules = rules_for(r.type)
        replace = sorted({x.path for x in rules if x.outcome == "replace"})
        refused = sorted({x.path for x in rules if x.outcome != "replace"})
        text = f"- {what}: replaced by a change of {', '.join(f'`{p}`' for p in replace) or 'nothing known'}"
        if refused:
            text += f"; refused by the provider (cannot change): {', '.join(f'`{p}`' for p in refused)}"
        lines.append(text)
    kept = [r for r in plan.resources if r.options.get("retainOnDelete") and not r.options.get("protect")
            and r.is_k8s_object and r.manifest["kind"] == "Namespace"]
    for r in kept:
        lines.append(f"- Namespace `{r.manifest['metadata']['name']}`: kept by `pulumi destroy` (retainOnDelete), so "
                     "the volumes in it keep their data; the next `pulumi up` adopts it and them again")
    return lines + [""]
