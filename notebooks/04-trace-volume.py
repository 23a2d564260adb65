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
# # 04 · Message trace: volume, failures, anomalies
#
# > **Nothing below yet?** In JupyterLab choose **Run > Run All Cells** in the menu bar (or the
# > toolbar's *Restart the kernel and run all cells* button): the app appears under the code
# > cells, ready to use. In the dashboard (`make dashboard`, Voila) it is already running.
#
# Load message-trace exports and see, on charts, how much mail each sender, device and relay IP
# sends, what failed, and what is unusual: a sender whose volume jumps at night (a compromised
# account or a runaway device), a scanner that went quiet, a new IP sending as your domain, a
# mailbox close to the SMTP AUTH limits (30 messages a minute, 10,000 recipients a day).
#
# 1. Export a trace. In Exchange Online PowerShell:
#    `Get-MessageTraceV2 -StartDate (Get-Date).AddDays(-10) -EndDate (Get-Date) -ResultSize 5000 | Export-Csv trace.csv -NoTypeInformation`
#    (for more than 5000 rows, repeat with `-StartingRecipientAddress` and `-EndDate` from the
#    last row). Admin center downloads (summary, enhanced summary, extended report),
#    `Get-MessageTraceDetailV2`, Graph JSON and `Get-MailFlowStatusReport` load too, in any mix.
# 2. Upload the files, type their paths (one per line), or pick a sample.
# 3. Click **Analyze**. Read the cards and the anomaly table, then the findings: each says what
#    was seen and what to change. Pick a sender to see only its traffic.
#
# Nothing leaves this machine: the analysis reads only the files you give it.

# %% tags=["parameters"]
SAMPLES = ["messagetrace-v2.csv", "messagetrace-detail.csv"]  # files in notebooks/data/ to load
INTERVAL = "auto"  # bar width of the volume chart: auto, 5m, 15m, 1h, 6h, 1d
SENDER = ""  # after loading, show only this sender ("" for all)
AUTO_RUN = True  # analyse the samples straight away
GRAPH_STORE = ""  # a store folder written by `o365diag trace --graph` (or the panel below) to load instead
STORE_FOR_PULLS = "tenant-store"  # where the Connect panel below stores what it pulls

# %%
from pathlib import Path

import plotly.io as pio

from o365diag.widgets import TraceExplorerApp

pio.renderers.default = "plotly_mimetype+notebook"
DATA = Path.cwd() / "data"

app = TraceExplorerApp(samples_dir=DATA)
app.paths.value = GRAPH_STORE or "\n".join(
    f"data/{name}" for name in SAMPLES if (DATA / name).is_file()
)
app.interval.value = INTERVAL
app

# %%
if AUTO_RUN and app.paths.value:
    await app.run()
if SENDER and app.analysis is not None:
    app.sender.value = SENDER.lower()
    await app.task

# %% [markdown]
# ## Or pull the trace from your tenant
#
# Instead of exporting by hand, sign in once and pull message trace from Microsoft Graph
# (read-only). Your admin grants the app `ExchangeMessageTrace.Read.All` once and creates the
# message-trace service principal (see `docs/tenant.md`). Fill in the tenant and the app ID,
# click **Sign in** (a code to enter in any browser), then **Pull**: the rows go into a local
# store folder, page by page, and the app above loads it when the pull ends. **Cancel** stops
# it; a second pull fetches only what is missing. No token is shown or saved in the notebook.

# %%
from o365diag.widgets import ConnectPanel


def load_pulled_store(folder, _report):
    app.paths.value = str(folder)
    app.run()


connect = ConnectPanel(out=STORE_FOR_PULLS, on_pulled=load_pulled_store)
connect

# %% [markdown]
# ## The charts, for sharing
#
# The same charts as in the app, drawn as plain outputs so that they stay in an exported HTML
# file (File > Save and Export Notebook As > HTML) and open offline. The dashboard skips them:
# the app above draws each chart already (and the **Export report** button shares them).

# %%
from o365diag.widgets import in_dashboard

if not in_dashboard():
    for figure in app.figures.values():
        figure.show()

# %% [markdown]
# ## For power users
#
# `app.analysis` holds the aggregates behind the charts (polars frames); `app.report` is the
# JSON contract `o365diag.trace/1`. The same runs from code:
# `analyze_trace(load_traces(paths)).to_report()`, or `o365diag trace FILE... --json`.

# %%
if app.analysis is not None and not in_dashboard():  # the dashboard shows it all in the app
    print("rows:", app.analysis.data.messages.height, "format:", app.analysis.data.format)
    for row in app.analysis.anomalies.iter_rows(named=True):
        print(f"anomaly {row['start']} {row['scope']} {row['key']}: {row['kind']}",
              f"(observed {row['observed']}, expected {row['expected']:.1f})")
    print("finding codes:", ", ".join(app.report.codes()) if app.report else "")
