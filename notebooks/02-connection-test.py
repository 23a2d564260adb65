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
# # 02 · Connection test
#
# > **Nothing below yet?** In JupyterLab choose **Run > Run All Cells** in the menu bar (or the
# > toolbar's *Restart the kernel and run all cells* button): the app appears under the code
# > cells, ready to use. In the dashboard (`make dashboard`, Voila) it is already running.
#
# Run the SMTP session your printer, scanner or application runs, one step at a time, and see
# exactly where and why it fails: DNS, TCP, TLS, AUTH, MAIL FROM, RCPT TO, DATA.
#
# 1. **Try the demo first.** With *Demo* ticked, the session runs against a built-in Office 365-like
#    server on this machine: no tenant, no network. Pick a scenario (a wrong password, SMTP AUTH
#    disabled for the tenant, a relay connector that no longer matches...) and click **Step** to
#    go one step at a time, or **Run all**.
# 2. **Then test for real.** Untick *Demo*, choose how the device sends:
#    - *SMTP AUTH client submission*: `smtp.office365.com`, port 587, user and password (or an
#      OAuth token);
#    - *Direct send*: your MX endpoint (`yourdomain-com.mail.protection.outlook.com`), port 25,
#      no user, internal recipients only;
#    - *SMTP relay*: the same MX endpoint, port 25, recognised by your inbound connector.
#
#    Fill in the form and run it. Nothing is delivered unless you tick *Send a test message*.
# 3. Read the **Diagnosis** under the steps: it names the failing step, what the reply means for
#    the way you send, and the exact fix (cmdlet, admin-center setting or DNS record).
#
# The password box empties as soon as the session starts; it is never stored in this notebook,
# and AUTH lines in the transcript are redacted.

# %% tags=["parameters"]
DEMO = True  # run against the built-in simulator
SCENARIO = "auth-disabled"  # a simulator scenario (see the list in the app)
AUTO_RUN = True  # run the whole session straight away

# %%
from o365diag.widgets.connection import ConnectionTestApp

app = ConnectionTestApp(demo=DEMO, scenario=SCENARIO)
app

# %%
if AUTO_RUN:
    await app.run_all()

# %% [markdown]
# ## For power users
#
# The last result is `app.report` (the JSON contract `o365diag.smtp/1`). The same session runs
# from code, step by step, with `Probe`; and from a terminal with `o365diag smtp --demo NAME`
# or `o365diag smtp --profile submission --host smtp.office365.com ...`.

# %%
from o365diag.widgets import in_dashboard

if app.report is not None and not in_dashboard():  # the dashboard shows it all in the app
    data = app.report.to_dict()
    print("outcome:", data["outcome"])
    steps = [f"{s['name']} {s['status']}" for s in data["steps"] if s["status"] != "skipped"]
    print("steps:", ", ".join(steps))
    print("finding codes:", ", ".join(app.report.codes()))
