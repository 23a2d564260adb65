# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation.jupytext_version
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Header analyzer
#
# > **Nothing below yet?** In JupyterLab choose **Run > Run All Cells** in the menu bar (or the
# > toolbar's *Restart the kernel and run all cells* button): the app appears under the code
# > cells, ready to use. In the dashboard (`make dashboard`, Voila) it is already running.
#
# Paste the headers of a message that landed in Junk, was quarantined, rejected or arrived late,
# and get a plain-language diagnosis with the fix.
#
# 1. Get the headers: in Outlook open the message, **File > Properties > Internet headers**
#    (new Outlook and Outlook on the web: **... > View > View message source**). Copy all of it.
# 2. Paste them in the box (or upload the `.eml` / `.msg` file), or pick a sample to see how it works.
# 3. Click **Analyze**. Read the cards first (SPF, DKIM, DMARC, compauth, SCL, BCL), then the
#    findings: each says what was seen and what to change.
# 4. To hand it to a colleague or a support team, click **Export report** at the bottom: one HTML
#    file that opens offline, and a Markdown summary for the ticket. Tick *Redact* first if the
#    file leaves your organization (addresses, domains and IPs become placeholders).
#
# Nothing leaves this machine: the analysis reads only the text you give it.

# %% tags=["parameters"]
SAMPLE = "02-direct-send-scanner-not-in-spf.txt"  # a file in sample_headers/ to load at start ("" for none)
AUTO_RUN = True  # analyze the sample straight away

# %%
from pathlib import Path

import plotly.io as pio

from o365diag.widgets import HeaderAnalyzerApp

pio.renderers.default = "plotly_mimetype+notebook"
SAMPLES = Path.cwd().parent / "sample_headers"

app = HeaderAnalyzerApp(samples_dir=SAMPLES)
if SAMPLE and (SAMPLES / SAMPLE).is_file():
    app.samples.value = str(SAMPLES / SAMPLE)
app

# %%
if AUTO_RUN and app.paste.value:
    await app.run()

# %% [markdown]
# ## For power users
#
# The app keeps the last result in `app.report`. The same analysis runs from code: `analyze()`
# returns a `Report` with the structured data (the JSON contract `o365diag.headers/1`) and the
# findings.

# %%
from o365diag.widgets import in_dashboard

# The result the app shows now (a dashboard has no use for these lines: they would not follow
# the next analysis).
if app.report is not None and not in_dashboard():
    analysis = app.report.model  # typed: o365diag.headers.model.HeadersData
    compauth = analysis.authentication.compauth
    print("compauth:", compauth.result, "reason", compauth.reason)
    print("hops:", len(analysis.hops), "total transit (s):", analysis.total_transit_seconds)
    print("finding codes:", ", ".join(app.report.codes()))
    if app.figure is not None:
        print("hop chart:", len(app.figure.data[0].x), "bars")
