#!/usr/bin/env python3
"""deploy/grafana/tandem-dashboard.json: valid JSON a Grafana can import
(panels with ids, grid positions and Prometheus targets), and every metric
its queries name is one some daemon serves (the name appears as a string in
src/). Usage: grafana_dashboard_test.py SOURCE_DIR"""
import json
import pathlib
import re
import sys

src = pathlib.Path(sys.argv[1])
dash = json.loads((src / "deploy/grafana/tandem-dashboard.json").read_text())
failures = []
served = set()
for f in (src / "src").rglob("*.cc"):
    served.update(re.findall(r'"((?:tandem|grpc_server|process)_[a-z0-9_]+)"', f.read_text()))
ids = set()
for p in dash["panels"]:
    if p["id"] in ids:
        failures.append(f"panel id {p['id']} is used twice")
    ids.add(p["id"])
    if not {"h", "w", "x", "y"} <= set(p.get("gridPos", {})):
        failures.append(f"panel '{p['title']}' has no full gridPos")
    if p["type"] == "row":
        continue
    if not p.get("targets"):
        failures.append(f"panel '{p['title']}' queries nothing")
    for t in p.get("targets", []):
        for name in re.findall(r"\b((?:tandem|grpc_server|process)_[a-z0-9_]+)", t["expr"]):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name not in served and base not in served:
                failures.append(f"panel '{p['title']}': no daemon serves {name}")
if dash.get("uid") != "tandem-overview" or not dash.get("title"):
    failures.append("the dashboard needs its uid and title")
for f in failures:
    print("FAIL -", f)
print(f"grafana_dashboard_test: {len(dash['panels'])} panels, {len(failures)} problem(s)")
sys.exit(1 if failures else 0)
