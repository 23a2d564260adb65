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
# **What is the symptom?** Pick it below and follow the link.

# %% tags=["parameters"]
SYMPTOM = ""  # preselect a symptom by its key, e.g. "junk" (used by automated runs)

# %%
from o365diag.widgets.start import StartHereApp

app = StartHereApp(symptom=SYMPTOM or None)
app

# %% [markdown]
# ## The notebooks
#
# | Notebook | Use it when |
# |---|---|
# | [01 · Header analyzer](01-header-analyzer.ipynb) | a message was junked, quarantined, rejected or slow: paste its headers |
#
# ## From the command line
#
# Everything here also runs in a terminal, for scripts and for people who prefer it:
#
# ```
# o365diag headers message.eml            # readable diagnosis
# o365diag headers message.eml --json     # machine-readable (schema o365diag.headers/1)
# o365diag headers reported/ --jsonl out.jsonl   # a folder or an mbox, on all cores
# ```
