import pandas as pd
import streamlit as st

from figures import train_eval as figs
from normcore import batch_stats as bs
from normcore.stats import histogram
from ui import cached
from ui import train_eval_page as te
from ui.chrome import page_setup, stage_bar
from ui.export import show_chart
from ui.i18n import t
from ui.url import UrlCheck, choice, nearest_choice

MOMENTA = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # the momentum's choices, log-spaced
TEST_EXAMPLES = 359  # digits held out by normcore.training.load_digits
FORGOT_BATCHES = 100

page_setup("tve.title")
check = UrlCheck("tve")
notices = st.container()  # filled once every control has been checked
st.markdown(t("tve.intro"))

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
momenta = bs.running_momenta(momentum)
stats, population_mean, population_var = te.running(momenta, batch_size, steps, channel, seed)
fig = cached.figure(
    figs.running_curves,
    stats.mean,
    stats.var,
    names=[t("tve.curve", m=m, a=bs.decay_from_momentum(m)) for m in momenta],
    population_mean=population_mean,
    population_var=population_var,
    title=t("tve.running_title", b=batch_size),
    labels=te.running_labels(),
)
show_chart(fig, key="running_chart", data=pd.DataFrame(bs.running_table(stats, momenta)))

st.subheader(t("tve.conventions_header"))
decay = bs.decay_from_momentum(momentum)
st.markdown(t("tve.conventions_text", m=momentum, a=decay))
st.table(te.conventions_table(stats))  # a static table: every column on a phone's screen

keras = bs.variance_conventions(stats, round(momentum, 3), batch_size)
st.markdown(t("tve.keras_var_text", steps=steps, b=batch_size, m=round(momentum, 3), a=decay))
te.keras_metrics(keras, batch_size, steps)

st.subheader(t("tve.variance_header"))
st.markdown(t("tve.variance_text", b=batch_size))
te.variance_metrics(stats, batch_size)

# ---- C. train versus eval
st.header(t("tve.same_header"))
st.markdown(t("tve.same_text", b=batch_size, steps=steps))
result = te.same_batch(batch_size, steps, momentum, seed)
fig = cached.figure(
    figs.train_vs_eval,
    result["train"],
    result["eval"],
    title=t("tve.same_title", b=batch_size),
    labels=te.same_labels(),
)
show_chart(fig, key="same_chart", data=pd.DataFrame(bs.train_eval_table(result)))
st.metric(t("tve.max_diff"), f"{bs.max_abs_difference(result):.4f}", help=t("tve.max_diff_help"))

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
        accuracy = te.bn_model()[1]
        result = te.predictions(example, forgot_batch, FORGOT_BATCHES)
    fig = cached.figure(
        figs.prediction_spread,
        histogram(result["train_prob"], 20, (0.0, 1.0)),
        float(result["eval_prob"][0]),
        title=t("tve.forgot_title", ex=example, label=result["label"], b=forgot_batch),
        labels=te.forgot_labels(result),
    )
    from normcore.forgot_eval import predictions_table  # imports torch: only with the demo on

    show_chart(fig, key="forgot_chart", data=pd.DataFrame(predictions_table(result)))
    te.forgot_metrics(result, accuracy, FORGOT_BATCHES)

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
run, summary = te.renorm_demo(renorm_batch, steps, round(momentum, 3), r_max, d_max, kind, channel, seed)
fig = cached.figure(
    figs.renorm_gaps,
    run.gap_batch,
    run.gap_batch_renorm,
    title=t("tve.renorm_title", kind=kind_name, b=renorm_batch, r=r_max, d=d_max),
    names={"batch": t("tve.norm.batch"), "batch_renorm": t("tve.norm.batch_renorm")},
    labels={"x": t("tve.x_steps"), "y": t("tve.y_gap")},
)
show_chart(fig, key="renorm_gap", data=pd.DataFrame(bs.renorm_table(run)))
te.renorm_metrics(summary)
st.markdown(t("tve.sigma_note", paper=f"{summary['paper_std']:.4f}", ours=f"{summary['running_std']:.4f}",
              ch=channel))  # fmt: skip
st.caption(t("tve.renorm_caption"))
