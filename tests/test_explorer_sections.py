"""The Explorer's code view builds its snippet from the page's layer and controls (ui.explorer_sections)."""

import contextlib
import io
from dataclasses import astuple

import numpy as np
import pytest

from normcore.explorer import Population, batch_moments, make_input, run, running_statistics
from normcore.snippet import pytorch_snippet
from ui.explorer_cache import Layer
from ui.explorer_controls import Controls
from ui.explorer_sections import snippet_setup


def printed(code: str) -> float:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {})
    return float(out.getvalue().split()[-1])


@pytest.mark.parametrize("norm,training", [("batch", False), ("batch_renorm", True), ("group", True)])
def test_snippet_prints_the_followed_element(norm, training):
    # settings away from the defaults, so a value wired to the wrong field changes the printed number
    population = Population("synthetic", "skewed", 1.5, 0.8, 7)
    n, c, hw = 3, 4, 4
    ctl = Controls(norm, n, c, hw, 2, training, *astuple(population), eps=0.01, momentum=0.3, warmup=4,
                   r_max=1.2, d_max=0.1, gamma=1.0, beta=0.0, activation="relu", by="set")  # fmt: skip
    layer = Layer((n, c, hw, hw), astuple(population), norm, ctl.groups, training, ctl.eps, ctl.momentum,
                  ctl.warmup, ctl.r_max, ctl.d_max)  # fmt: skip
    gamma, beta = [0.5, 1.5, -1.0, 2.0], [0.1, -0.2, 0.3, 0.0]
    follow = (2, 1, 6)  # spatial position 6 of a 4 x 4 plane: row 1, column 2
    setup = snippet_setup(layer, ctl, gamma, beta, follow)
    assert setup.follow == (2, 1, 1, 2) and setup.upload_name == "activations.npy"

    warmup = [batch_moments(make_input(layer.warmup_batch, c, hw, hw, population, b)) for b in range(1, 5)]
    mean, var = running_statistics(warmup, c, 0.3)
    e = run(make_input(n, c, hw, hw, population), norm, num_groups=2, eps=0.01, gamma=np.array(gamma),
            beta=np.array(beta), training=training, running_mean=mean, running_var=var, momentum=0.3,
            r_max=1.2, d_max=0.1)  # fmt: skip
    expected = e.output.reshape(n, c, hw * hw)[follow]
    assert printed(pytorch_snippet(setup)) == pytest.approx(expected, rel=1e-5, abs=1e-6)
