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
# # o365diag: start here
#
# A troubleshooting kit for mail that applications, printers and scanners send through
# Microsoft 365. Every notebook works offline: on the sample headers shipped in
# `sample_headers/` and on the built-in Microsoft 365-like SMTP simulator, so you can try each
# step before pointing it at your own tenant.
#
# **What is happening?** Open the notebook for it; each one opens with a working example.
#
# | Symptom | Open |
# |---|---|
# | Mail from a device or app lands in Junk, is quarantined, rejected (NDR) or slow | [01 · Header analyzer](01-header-analyzer.ipynb): paste the message's headers |
# | A scanner or app cannot send at all | [02 · Connection test](02-connection-test.ipynb): its SMTP session step by step |
# | Is the domain ready to send from this device? | [03 · Domain check](03-domain-check.ipynb): MX, SPF for its IP, DKIM, DMARC, blocklists |
# | Volume looks wrong (spike, drop, possible compromise) | [04 · Trace volume](04-trace-volume.ipynb): load a message-trace export |
# | Setting up a new device | [05 · Setup assistant](05-setup-assistant.ipynb): the sending option, settings, DNS records, PowerShell |
# | Which devices break when Basic SMTP AUTH goes (December 2026)? | [06 · Basic-auth cutover](06-basic-auth-cutover.ipynb): who signs in with a password, the way off, the plan |
#
# > **In JupyterLab, the apps start when their cells run:** choose **Run > Run All Cells** in
# > the menu bar (or the toolbar's *Restart the kernel and run all cells* button) in any
# > notebook, this one included; the app appears under the code. In the dashboard
# > (`make dashboard`, Voila) they are already running.

# %% tags=["parameters"]
SYMPTOM = ""  # preselect a symptom by its key, e.g. "junk" (used by automated runs)

# %%
from o365diag.widgets.start import StartHereApp

app = StartHereApp(symptom=SYMPTOM or None)
app

# %% [markdown]
# ## Sharing
#
# Every app has an **Export** button: one HTML file (charts work offline) and a Markdown summary
# for a ticket, with optional redaction of names and addresses.
#
# ## From the command line
#
# Everything here also runs in a terminal, for scripts and for people who prefer it:
#
# ```
# o365diag headers message.eml                     # why was it junked / slow?
# o365diag smtp --demo auth-disabled               # a session against the built-in simulator
# o365diag dns example.com --ip 203.0.113.10       # is the domain ready for this device?
# o365diag trace export.csv --html trace.html      # volume, anomalies, failures
# o365diag setup                                   # which sending option, and its configuration
# ```
