"""The README's example and commands stay true."""

import doctest
import re

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_python_example_runs():
    examples = "\n".join(re.findall(r"```python\n(.*?)```", README, re.S))
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert test.examples and runner.failures == 0


def test_readme_commands_are_the_ones_ci_runs():
    assert "pip install -r requirements.txt && streamlit run app.py" in README
    assert "bash scripts/test" in README
    assert "bash scripts/test" in (ROOT / ".ci" / "run").read_text()
