#!/usr/bin/env python3
"""Writes expected/<template>__<case>.txt: each chat template rendered by Jinja2 exactly as
transformers' apply_chat_template does (transformers/utils/chat_template_utils.py:
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]),
its tojson filter, raise_exception and strftime_now globals; tools=None and documents=None unless
the case passes tools). A template that raises gives a file 'RAISES: <message>'.

Run by hand after changing a template or cases.json (needs only Jinja2): python3 render_reference.py
The Java tests read the results; they never run Python.
"""
import json
import os
from datetime import datetime

from jinja2.exceptions import TemplateError
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

here = os.path.dirname(os.path.abspath(__file__))
spec = json.load(open(os.path.join(here, "cases.json"), encoding="utf-8"))
now = datetime.fromisoformat(spec["now"])


def raise_exception(message):
    raise TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(format):
    return now.strftime(format)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now

out_dir = os.path.join(here, "expected")
os.makedirs(out_dir, exist_ok=True)
for name, tokens in spec["special_tokens"].items():
    template = env.from_string(open(os.path.join(here, name + ".jinja"), encoding="utf-8").read())
    for case_name, case in spec["cases"].items():
        if "templates" in case and name not in case["templates"]:
            continue
        variables = {"tools": None, "documents": None}
        variables.update(case.get("variables", {}))
        try:
            text = template.render(messages=case["messages"], add_generation_prompt=case["add_generation_prompt"],
                                   **variables, **tokens)
        except TemplateError as e:
            text = "RAISES: " + str(e)
        with open(os.path.join(out_dir, f"{name}__{case_name}.txt"), "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(name, case_name, len(text))
