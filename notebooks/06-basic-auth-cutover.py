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
# # 06 · Basic-auth cutover: who breaks, and the way off
#
# > **Nothing below yet?** In JupyterLab choose **Run > Run All Cells** in the menu bar (or
# > click ⏩ in the toolbar): the app appears under the code cells, ready to use. In the
# > dashboard (`make dashboard`, Voila) it is already running.
#
# Microsoft turns Basic authentication for SMTP AUTH off by default at the end of December 2026
# (admins can turn it back on until a final removal date announced in the second half of 2027).
# Printers, scanners and apps that send through `smtp.office365.com` with a password (an app
# password too) stop working. This notebook finds every identity that still does, says what
# each should move to (OAuth, a relay connector, High Volume Email, Azure Communication Services
# Email, or turning it off), in which order, and writes the commands.
#
# 1. Export what you can (any subset; each file is recognised by its content):
#    the Entra **sign-in logs** (Download, CSV or JSON), the Exchange admin center's **SMTP AUTH
#    clients report** (Reports > Mail flow, Export), a **message trace**, and the Exchange
#    settings as JSON (`Get-CASMailbox`, `Get-TransportConfig`, `Get-AuthenticationPolicy`,
#    `Get-OrganizationConfig`, `Get-User`; the commands are in docs/cutover.md). Add your
#    **device inventory** (CSV or YAML) to say which client can do OAuth.
# 2. Untick the demo, upload the files or type their paths, and click **Assess**. For a weekly
#    burndown of the identities still on Basic, put earlier exports (last week's SMTP AUTH
#    clients report...) in the second box, one file or folder per line: each is dated by its
#    content, else by a date in its name (`smtp-auth-2026-11-02.csv`).
# 3. Read the table (status on the cutover date, path), the plan (canary first, the commands
#    that turn Basic off per mailbox, rollback) and the findings. What a missing input costs is
#    listed under Inputs.
#
# With the demo ticked it runs on a synthetic tenant with planted cases. Nothing leaves this
# machine.

# %% tags=["parameters"]
DEMO = True  # the shipped demo tenant (contoso.example)
PATHS: list[str] = []  # your exported files or folders (stores, collect-script output)
SNAPSHOTS: list[str] = []  # earlier exports, for the burndown only
STORE_FOR_PULLS = "cutover-store"  # where the Connect panel below stores what it pulls
AS_OF = ""  # YYYY-MM-DD; blank: today (the demo: 2026-11-30)
CUTOVER_DATE = "2026-12-31"
EXPLAIN = "550 5.7.30 Basic authentication is not supported for Client Submission."
AUTO_RUN = True  # assess straight away

# %%
import plotly.io as pio

from o365diag.widgets import CutoverApp

pio.renderers.default = "plotly_mimetype+notebook"

app = CutoverApp(demo=DEMO)
app.paths.value = "\n".join(PATHS)
app.snapshots.value = "\n".join(SNAPSHOTS)
app.as_of.value = AS_OF
app.cutover_date.value = CUTOVER_DATE
app

# %%
if AUTO_RUN:
    await app.run()
if EXPLAIN:
    app.explain_text.value = EXPLAIN
    app.explain()

# %% [markdown]
# ## Or pull sign-ins and message trace from your tenant
#
# Sign in once (read-only Microsoft Graph; the permissions are in `docs/tenant.md`) and pull
# the SMTP AUTH sign-ins (30 days, needs Entra ID P1/P2) and then, choosing **Message trace**,
# the last 10 days of trace. Each finished pull lands in a store folder under the one named
# here, joins the inputs above (the demo is unticked) and the assessment runs again. Add the
# Exchange settings (the `collect-script` folder) and your inventory as paths above. No token
# is shown or saved in the notebook.

# %%
connect = app.connect_panel(STORE_FOR_PULLS)
connect

# %% [markdown]
# ## The charts, for sharing
#
# Basic sign-ins per identity over time, the TLS version mix, and the weekly burndown of
# identities still on Basic, drawn as plain outputs so that they stay in an exported HTML file.
# The dashboard skips them: the app above draws them already.

# %%
from o365diag.widgets import in_dashboard

if app.report is not None and not in_dashboard():
    for figure in app.report.safe_figures():
        figure.show()

# %% [markdown]
# ## For power users
#
# `app.assessment` holds one row per identity (`IdentityRow`) and the plan; `app.report` is the
# JSON contract `o365diag.cutover/1`. The same runs from code:
# `assess(load_inputs(paths)).to_result()`, or `o365diag cutover FILE... --json`;
# `o365diag explain "TEXT"` explains one error.

# %%
if app.assessment is not None and not in_dashboard():
    for row in app.assessment.identities:
        print(f"{row.identity}: {row.status} -> {row.path} ({', '.join(row.risk) or 'no risk'})")
    print("days to cutover:", app.assessment.days_to_cutover)
    print("finding codes:", ", ".join(app.report.codes()) if app.report else "")
