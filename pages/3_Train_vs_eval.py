import numpy as np
import pandas as pd
import streamlit as st

from figures import train_eval as figs
from normcore import batch_stats as bs
from normcore.stats import histogram
from ui import cached
from ui.chrome import page_setup, stage_bar
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, choice, nearest_choice

COMPARED_MOMENTA = (0.01, 0.1, 0.5)
MOMENTA = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the momentum's choices, log-spaced
TEST_EXAMPLES = 359  # digits held out by normcore.training.load_digits
FORGOT_BATCHES = 100

page_setup("tve.title")
check = UrlCheck("tve")
notices = st.container()  # filled once every control has been checked
st.markdown(t("tve.intro"))


@st.cache_data(max_entries=64)
def running(momenta: tuple, batch_size: int, steps: int, channel: int, seed: int):
    """The running statistics, and the population's mean and variance of ``channel`` they approach."""
    pop = bs.population(seed)
    stats = bs.running_stats(pop, momenta, batch_size, steps, channel, seed)
    return stats, float(pop[:, channel].mean()), float(pop[:, channel].var(ddof=1))


@st.cache_data(max_entries=64)
def same_batch(batch_size: int, steps: int, momentum: float, seed: int):
    return bs.trained_then_evaluated(bs.population(seed), batch_size, steps, momentum, seed)


@st.cache_data(max_entries=64)
def renorm_demo(batch_size: int, steps: int, momentum: float, r_max: float, d_max: float, kind: str,
                channel: int, seed: int):  # fmt: skip
    run = bs.renorm_training(
        bs.population(seed), batch_size, steps, momentum, r_max, d_max, kind, channel, seed
    )
    return run, bs.renorm_summary(run)


@st.cache_resource(max_entries=1)  # recomputable (seeded), so a cache; no client can clear it (ui.hardening)
def bn_model():
    """The shipped trained network (normcore/experiments/forgot_model.json.gz); trained here only without it."""
    from normcore import forgot_eval  # imports torch: only when the demo is switched on

    return forgot_eval.trained_model()


@st.cache_data(max_entries=64)
def predictions(example: int, batch_size: int):
    from normcore import forgot_eval

    return forgot_eval.predictions_in_batches(bn_model()[0], example, batch_size, FORGOT_BATCHES)


# ---- B. running statistics
st.header(t("tve.running_header"))
st.markdown(t("tve.running_text"))
columns = stage_bar("", 5)
momentum = nearest_choice(
    columns[0].select_slider, t("tve.momentum"), MOMENTA, key="m", default=0.1, check=check,
    help=t("tve.momentum_help"),
)  # fmt: skip
batch_size = columns[1].slider(t("tve.b"), 2, 256, 16, key="b", bind="query-params", help=t("tve.b_help"))
steps = columns[2].slider(
    t("tve.steps"), 10, 1000, 200, 10, key="steps", bind="query-params", help=t("tve.steps_help")
)
channel = columns[3].slider(
    t("tve.channel"), 0, bs.CHANNELS - 1, 0, key="ch", bind="query-params", help=t("tve.channel_help")
)
seed = columns[4].number_input(
    t("tve.seed"), 0, 9999, 0, key="seed", bind="query-params", help=t("tve.seed_help")
)
momenta = tuple(sorted({*COMPARED_MOMENTA, round(momentum, 3)}))
stats, population_mean, population_var = running(momenta, batch_size, steps, channel, seed)
fig = cached.figure(
    figs.running_curves,
    stats.mean,
    stats.var,
    names=[t("tve.curve", m=m, a=bs.decay_from_momentum(m)) for m in momenta],
    population_mean=population_mean,
    population_var=population_var,
    title=t("tve.running_title", b=batch_size),
    labels={
        "mean": t("tve.running_mean"),
        "var": t("tve.running_var"),
        "population": t("tve.population"),
        "x": t("tve.x_steps"),
    },
)
show_chart(fig, key="running_chart", data=pd.DataFrame(bs.running_table(stats, momenta)))

st.subheader(t("tve.conventions_header"))
st.markdown(t("tve.conventions_text", m=momentum, a=bs.decay_from_momentum(momentum)))
table = pd.DataFrame(bs.conventions(stats)).round({"half_life": 1})
table["max_difference"] = table["max_difference"].map("{:.1e}".format)
columns = {c: t(f"tve.col_{c}") for c in table.columns}
st.dataframe(table.rename(columns=columns), hide_index=True)

keras = bs.variance_conventions(stats, round(momentum, 3), batch_size)
st.markdown(
    t(
        "tve.keras_var_text",
        steps=steps,
        b=batch_size,
        m=round(momentum, 3),
        a=bs.decay_from_momentum(momentum),
    )
)
cols = st.columns(3)
cols[0].metric(t("tve.keras_pytorch"), f"{keras['pytorch']:.4f}")
cols[1].metric(t("tve.keras_keras"), f"{keras['keras']:.4f}")
cols[2].metric(t("tve.keras_ratio"), f"{keras['ratio']:.4f}",
               help=t("tve.keras_ratio_help", b=batch_size, factor=f"{keras['bias_factor']:.4f}",
                      rest=f"{keras['initial_left']:.2g}", steps=steps))  # fmt: skip

st.subheader(t("tve.variance_header"))
st.markdown(t("tve.variance_text", b=batch_size))
cols = st.columns(3)
cols[0].metric(t("tve.biased"), f"{stats.batch_var[-1]:.4f}", help=t("tve.biased_help"))
cols[1].metric(t("tve.unbiased"), f"{stats.batch_var_unbiased[-1]:.4f}", help=t("tve.unbiased_help"))
cols[2].metric(t("tve.ratio"), f"{batch_size / (batch_size - 1):.4f}", help=t("tve.ratio_help", b=batch_size))

# ---- C. train versus eval
st.header(t("tve.same_header"))
st.markdown(t("tve.same_text", b=batch_size, steps=steps))
result = same_batch(batch_size, steps, momentum, seed)
fig = cached.figure(
    figs.train_vs_eval,
    result["train"],
    result["eval"],
    title=t("tve.same_title", b=batch_size),
    labels={
        "x": t("tve.eval_out"),
        "y": t("tve.train_out"),
        "points": t("tve.points"),
        "diagonal": t("tve.diagonal"),
    },
)
show_chart(
    fig,
    key="same_chart",
    data=pd.DataFrame({"train": result["train"].ravel(), "eval": result["eval"].ravel()}),
)
st.metric(t("tve.max_diff"), f"{np.abs(result['difference']).max():.4f}", help=t("tve.max_diff_help"))

st.header(t("tve.forgot_header"))
st.markdown(t("tve.forgot_text", n=FORGOT_BATCHES))
columns = stage_bar("forgot", 3)
demo = columns[0].toggle(t("tve.demo"), True, key="demo", bind="query-params", help=t("tve.demo_help"))
example = columns[1].number_input(
    t("tve.example"), 0, TEST_EXAMPLES - 1, 0, key="ex", bind="query-params", help=t("tve.example_help")
)
forgot_batch = columns[2].slider(t("tve.fb"), 2, 64, 4, key="fb", bind="query-params", help=t("tve.fb_help"))
if not demo:
    st.info(t("tve.forgot_off"), icon=":material/play_circle:")
else:
    with st.spinner(t("tve.forgot_training")):
        accuracy = bn_model()[1]
        result = predictions(example, forgot_batch)
    fig = cached.figure(
        figs.prediction_spread,
        histogram(result["train_prob"], 20, (0.0, 1.0)),
        float(result["eval_prob"][0]),
        title=t("tve.forgot_title", ex=example, label=result["label"], b=forgot_batch),
        labels={
            "train": t("tve.forgot_train"),
            "eval": t("tve.forgot_eval", p=f"{result['eval_prob'][0]:.3f}"),
            "x": t("tve.forgot_x"),
            "y": t("common.count"),
        },
    )
    show_chart(fig, key="forgot_chart", data=pd.DataFrame({k: v for k, v in result.items() if k != "label"}))
    cols = st.columns(3)
    from normcore.forgot_eval import wrong_counts  # imports torch: only with the demo on

    changed = wrong_counts(result)
    cols[0].metric(t("tve.wrong_train"), f"{changed['train']} / {FORGOT_BATCHES}", help=t("tve.wrong_help"))
    cols[1].metric(t("tve.wrong_eval"), f"{changed['eval']} / {FORGOT_BATCHES}", help=t("tve.wrong_help"))
    cols[2].metric(t("tve.accuracy"), f"{100 * accuracy:.1f} %", help=t("tve.accuracy_help"))

st.header(t("tve.renorm_header"))
renorm_text = st.empty()  # the section's text, written once its controls (below it) are read
columns = stage_bar("renorm", [1, 1.4, 1, 1])
renorm_batch = columns[0].slider(t("tve.rb"), 2, 64, 4, key="rb", bind="query-params", help=t("tve.rb_help"))
kind = choice(columns[1].radio, t("tve.kind"), list(bs.BATCH_KINDS), key="rk", check=check,
              labels=lambda k: t(f"tve.kind.{k}"), help=t("tve.kind_help"))  # fmt: skip
r_max = columns[2].slider(
    t("tve.r_max"), 1.0, 5.0, 3.0, 0.1, key="rmax", bind="query-params", help=t("tve.r_max_help")
)
d_max = columns[3].slider(
    t("tve.d_max"), 0.0, 5.0, 5.0, 0.1, key="dmax", bind="query-params", help=t("tve.d_max_help")
)
for key in ["b", "steps", "ch", "seed", "demo", "ex", "fb", "rb", "rmax", "dmax"]:
    check.check(key, st.session_state[key])
with notices:
    check.show()
kind_name = t(f"tve.kind.{kind}")
renorm_text.markdown(
    t("tve.renorm_text", kind=kind_name, b=renorm_batch, m=round(momentum, 3), steps=steps, ch=channel)
)
run, summary = renorm_demo(renorm_batch, steps, round(momentum, 3), r_max, d_max, kind, channel, seed)
fig = cached.figure(
    figs.renorm_gaps,
    run.gap_batch,
    run.gap_batch_renorm,
    title=t("tve.renorm_title", kind=kind_name, b=renorm_batch, r=r_max, d=d_max),
    names={"batch": t("tve.norm.batch"), "batch_renorm": t("tve.norm.batch_renorm")},
    labels={"x": t("tve.x_steps"), "y": t("tve.y_gap")},
)
show_chart(fig, key="renorm_gap", data=pd.DataFrame(bs.renorm_table(run)))
cols = st.columns(3)
last = summary["steps"]
cols[0].metric(t("tve.gap_bn"), f"{summary['gap_batch']:.3f}", help=t("tve.gap_help", n=last))
cols[1].metric(t("tve.gap_brn"), f"{summary['gap_batch_renorm']:.3f}", help=t("tve.gap_help", n=last))
cols[2].metric(
    t("tve.clipped"), f"{100 * summary['clipped_share']:.0f} %", help=t("tve.clipped_help", n=last)
)
st.markdown(t("tve.sigma_note", paper=f"{summary['paper_std']:.4f}", ours=f"{summary['running_std']:.4f}",
              ch=channel))  # fmt: skip
st.caption(t("tve.renorm_caption"))
