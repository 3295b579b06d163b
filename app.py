import pandas as pd
import streamlit as st

from figures import home
from normcore import saturation
from ui import cached, overview
from ui.chrome import PAGE_LABELS, PAGES, ROOT, link_params, page_setup
from ui.export import show_chart
from ui.i18n import t

page_setup("home.title")


def page_link(script: str, label: str, presets: dict[str, str] | None = None) -> None:
    """A link to a page of this app with ``presets`` (in the viewer's language), or a note if it is not here yet."""
    if (ROOT / script).exists():
        params = {**(presets or {}), **(link_params() or {})}
        st.page_link(script, label=label, icon=":material/arrow_forward:", query_params=params)
    else:
        st.caption(t("home.coming", page=t(PAGE_LABELS[script])))


st.markdown(t("home.intro"))

st.header(t("home.h.why"))
story, picture = st.columns([5, 6])
with story:
    st.markdown(t("home.why_text"))
    for slug, script, presets in overview.STORIES:
        st.markdown(f"**{t(f'home.story.{slug}.title')}** — {t(f'home.story.{slug}.text')}")
        page_link(script, t(f"home.story.{slug}.link"), presets)
    slug, script, presets = overview.BACKWARD_STORY  # the backward pass, after the three stories
    st.markdown(f"**{t(f'home.{slug}.title')}** — {t(f'home.{slug}.text')}")
    page_link(script, t(f"home.{slug}.link"), presets)
with picture:
    before, after, shares = overview.saturation_histograms()
    labels = {
        "before": t("home.sat.before", share=f"{shares[0]:.0%}"),
        "after": t("home.sat.after", share=f"{shares[1]:.0%}"),
        "sigmoid": t("home.sat.sigmoid"),
        "slope": t("home.sat.slope"),
        "saturated": t("home.sat.saturated"),
        "x": t("home.sat.x"),
        "y": t("common.density"),
        "y2": t("home.sat.y2"),
    }
    data = pd.DataFrame(
        {
            "bin_low": before.edges[:-1],
            "bin_high": before.edges[1:],
            "before": before.counts,
            "after": after.counts,
        }
    )
    figure = cached.figure(home.saturation, before, after, title=t("home.sat.title"), labels=labels)
    show_chart(figure, key="saturation", data=data)
    low, high = saturation.sigmoid_bounds()
    st.caption(
        t(
            "home.sat.caption",
            share=f"{saturation.SLOPE_SHARE:.0%}",
            low=f"{low:.3f}",
            high=f"{high:.3f}",
            edge=f"{saturation.sigmoid_edge():.2f}",
        )
    )

st.header(t("home.h.compare"))
st.markdown(t("home.compare_text"))
names = [t(f"home.norm.{norm.code}.name") for norm in overview.COMPARED]
axes = {kind: (t(f"home.blocks.{kind}.x"), t(f"home.blocks.{kind}.y")) for kind in ("activations", "weights")}
panels = [
    (name, overview.membership(norm), *axes[overview.block_kind(norm)])
    for name, norm in zip(names, overview.COMPARED, strict=True)
]
figure = cached.figure(home.norm_blocks, panels, title=t("home.blocks_title"), set_label=t("home.set"))
show_chart(figure, key="blocks", data=pd.DataFrame(overview.membership_table(names)))
st.caption(t("home.blocks_caption"))
yes_no = {True: t("home.yes"), False: t("home.no")}
table = pd.DataFrame(
    {
        t("home.col.norm"): [t(f"home.norm.{n.code}.name") for n in overview.COMPARED],
        t("home.col.over"): [t(f"home.norm.{n.code}.over") for n in overview.COMPARED],
        t("home.col.batch"): [
            f"{yes_no[n.batch_dependent]} · {t(f'home.norm.{n.code}.batch')}" for n in overview.COMPARED
        ],
        t("home.col.eval"): [
            f"{yes_no[n.train_eval_differ]} · {t(f'home.norm.{n.code}.eval')}" for n in overview.COMPARED
        ],
        t("home.col.use"): [t(f"home.norm.{n.code}.use") for n in overview.COMPARED],
    }
)
st.table(table, hide_index=True)

st.header(t("home.h.guide"))
for advice in overview.GUIDE:
    joiner = " + " if advice.combined else f" {t('home.or')} "
    choices = joiner.join(t(f"home.norm.{code}.name") for code in advice.norms)
    st.markdown(f"**{t(f'home.guide.{advice.slug}')}** → {choices}. {t(f'home.guide.{advice.slug}.why')}")
    page_link(advice.page, t("home.try_it"), advice.presets)

st.header(t("home.h.map"))
for script, label_key, _ in PAGES[1:]:
    st.markdown(f"**{t(label_key)}** — {t('home.map.' + label_key.removeprefix('nav.'))}")
    page_link(script, t("home.open"))
