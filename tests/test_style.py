"""The shared figure builder skips plotly's validation; the tests' check (conftest) catches what that lets through."""

import pytest

from figures import style


def test_a_misspelt_property_fails_a_test():
    with pytest.raises(ValueError, match="colour"):
        style.figure([dict(type="bar", x=[1, 2], y=[3, 4], colour="red")], {})


def test_a_value_plotly_would_store_differently_fails_a_test():
    with pytest.raises(AssertionError, match="stored differently"):
        bare_title = dict(xaxis=dict(title="value"))  # plotly stores dict(text="value")
        style.figure([dict(type="bar", x=[1, 2], y=[3, 4])], bare_title)


def test_the_shared_look_is_applied():
    fig = style.figure([dict(type="bar", x=[1, 2], y=[3, 4])], dict(bargap=0), title="t", height=300)
    assert (fig.layout.title.text, fig.layout.height, fig.layout.bargap) == ("t", 300, 0)
    assert fig.layout.font.family == style.FONT_FAMILY
    assert fig.layout.template.layout.plot_bgcolor == "white"  # plotly_white, the default template
