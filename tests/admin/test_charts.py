"""The SVG bar chart helper and the latency estimate, each on its own."""

from bs4 import BeautifulSoup

from app.admin.charts import bar_chart
from app.metrics import _quantile


def test_bar_lengths_follow_the_values_and_text_is_escaped():
    svg = bar_chart(
        "chart-x",
        "Title <b>",
        "Description.",
        [("A & B", 10, "10"), ("<script>", 5, "5"), ("Hidden", 0, "<5")],
        "Nothing.",
    )

    soup = BeautifulSoup(str(svg), "html.parser")
    assert soup.svg["aria-labelledby"] == "chart-x-title chart-x-desc"
    assert soup.title.get_text() == "Title <b>"
    assert soup.desc.get_text() == "Description. A & B: 10; <script>: 5; Hidden: <5"
    assert soup.find("script") is None
    widths = [float(rect["width"]) for rect in soup.find_all("rect")]
    assert len(widths) == 2
    assert widths[0] == 2 * widths[1]
    assert [t.get_text() for t in soup.find_all("text")][-2:] == ["Hidden", "<5"]


def test_an_empty_chart_says_so():
    soup = BeautifulSoup(
        str(bar_chart("c", "T", "D.", [], "No figures.")), "html.parser"
    )

    assert soup.find("text").get_text() == "No figures."
    assert "No figures." in soup.desc.get_text()


def test_quantiles_from_cumulative_buckets():
    # 100 requests: 50 under 10 ms, 40 more under 100 ms, 10 more under 1 s.
    buckets = {0.01: 50, 0.1: 90, 1.0: 100, float("inf"): 100}

    assert _quantile(buckets, 100, 0.5) == 10.0
    assert _quantile(buckets, 100, 0.95) == 550.0
    assert _quantile(buckets, 0, 0.5) is None
