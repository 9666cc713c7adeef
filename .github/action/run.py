#!/usr/bin/env python3
"""The reins GitHub Action's step: run `reins exec`, `reins run` or `reins review` from the
action's inputs (INPUT_* variables, set by action.yml), then publish what came out: step outputs,
a job summary, and for a review of a pull request one PR review with an inline comment per
finding, posted with the workflow's token.

Standard library only (runners have python3, nothing else is assumed). The token never reaches
reins: it is taken out of the environment reins runs in. Everything reins prints is model output
and treated as data: it is written to files and JSON, never evaluated.
"""

import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

FINDINGS_EXIT = 7


def inp(name, default=""):
    value = os.environ.get("INPUT_" + name.upper().replace("-", "_"), "")
    return value.strip() or default


def set_output(name, value):
    """Appends one step output, multi-line safe (a delimiter the value cannot contain)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    value = "" if value is None else str(value)
    delim = "EOF_" + secrets.token_hex(8)
    while delim in value:
        delim = "EOF_" + secrets.token_hex(8)
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{name}<<{delim}\n{value}\n{delim}\n")


def summary(text):
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text + "\n")


def reins_env():
    """The environment reins runs in: the runner's, without the GitHub token."""
    env = dict(os.environ)
    for key in ("INPUT_GITHUB_TOKEN", "GITHUB_TOKEN", "GH_TOKEN"):
        env.pop(key, None)
    return env


def common_flags(mode):
    flags = []
    for name, flag in (("model", "--model"), ("route", "--route"), ("effort", "--effort")):
        if inp(name):
            flags += [flag, inp(name)]
    if mode != "review":
        for name, flag in (("sandbox", "--sandbox"), ("max-cost", "--max-cost"),
                           ("output-schema", "--output-schema")):
            if inp(name):
                flags += [flag, inp(name)]
        for check in inp("checks").splitlines():
            if check.strip():
                flags += ["--check", check.strip()]
        if inp("deny-exit", "true") == "true":
            flags.append("--deny-exit")
    return flags


def prompt_text():
    if inp("prompt-file"):
        with open(inp("prompt-file"), encoding="utf-8") as f:
            return f.read()
    return inp("prompt")


def event():
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path or not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def temp(name):
    return os.path.join(os.environ.get("RUNNER_TEMP", "/tmp"), name)


def run_session(mode, reins):
    """exec or run with --json: the events to a file, the answer to another."""
    jsonl, answer = temp("reins-events.jsonl"), temp("reins-answer.txt")
    cmd = [reins]
    if mode == "run":
        if not inp("workflow"):
            sys.exit("reins action: mode 'run' needs the 'workflow' input")
        cmd += ["run", inp("workflow")]
    else:
        cmd += ["exec"]
    cmd += ["--json", "-o", answer] + common_flags(mode)
    text = prompt_text()
    if mode == "exec" and not text:
        sys.exit("reins action: mode 'exec' needs 'prompt' or 'prompt-file'")
    if text:
        cmd.append(text)
    with open(jsonl, "w", encoding="utf-8") as out:
        code = subprocess.run(cmd, stdout=out, env=reins_env()).returncode
    events = []
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            try:
                events.append(json.loads(line))
            except ValueError:
                pass
    finished = next((e for e in reversed(events) if e.get("type") == "session.finished"), {})
    final = ""
    if os.path.exists(answer):
        with open(answer, encoding="utf-8") as f:
            final = f.read()
    set_output("final-message", final)
    set_output("status", finished.get("status", "error"))
    set_output("cost", finished.get("cost_usd") if finished.get("cost_usd") is not None else "")
    set_output("jsonl", jsonl)
    set_output("exit-code", code)
    summary(session_summary(mode, events, finished))
    return code


def session_summary(mode, events, finished):
    lines = [f"### reins {mode}: {finished.get('status', 'no result')}", ""]
    lines.append(f"- steps: {finished.get('steps', 0)}")
    cost = finished.get("cost_usd")
    lines.append(f"- cost: {'unknown' if cost is None else f'${cost:.4f}'}")
    lines.append(f"- denied tool calls: {finished.get('denied_calls', 0)}")
    models = finished.get("models") or {}
    if models:
        lines += ["", "| model | requests | input tokens | output tokens | cost |",
                  "| --- | --- | --- | --- | --- |"]
        for name, t in sorted(models.items()):
            c = t.get("cost_usd")
            lines.append(f"| {name} | {t.get('requests', 0)} | {t.get('input_tokens', 0)} | "
                         f"{t.get('output_tokens', 0)} | {'' if c is None else f'${c:.4f}'} |")
    checks = [e for e in events if e.get("type") == "check"]
    if checks:
        lines += ["", "| check | result |", "| --- | --- |"]
        for c in checks:
            lines.append(f"| `{c.get('command', '')}` | {'passed' if c.get('passed') else 'failed'} |")
    return "\n".join(lines)


def review_scope(ev):
    if inp("base"):
        return ["--base", inp("base")]
    if inp("commit"):
        return ["--commit", inp("commit")]
    pr = ev.get("pull_request")
    if pr:
        return ["--base", "origin/" + pr["base"]["ref"]]
    if os.environ.get("GITHUB_SHA"):
        return ["--commit", os.environ["GITHUB_SHA"]]
    return ["--uncommitted"]


def run_review(reins):
    ev = event()
    report_path = temp("reins-review.json")
    cmd = [reins, "review", "--json"] + review_scope(ev) + common_flags("review")
    if inp("fail-on"):
        cmd += ["--fail-on", inp("fail-on")]
    if inp("verify", "true") != "true":
        cmd.append("--no-verify")
    sarif = inp("sarif-file") or (temp("reins-review.sarif") if inp("sarif") == "true" else "")
    if sarif:
        cmd += ["--sarif", sarif]
    with open(report_path, "w", encoding="utf-8") as out:
        code = subprocess.run(cmd, stdout=out, env=reins_env()).returncode
    try:
        with open(report_path, encoding="utf-8") as f:
            report = json.load(f)
    except ValueError:
        report = None
    set_output("exit-code", code)
    set_output("jsonl", "")
    if report is None:
        set_output("status", "error")
        return code
    findings = report.get("findings", [])
    set_output("status", report.get("verdict", ""))
    set_output("final-message", report.get("summary", ""))
    set_output("cost", "" if report.get("cost_usd") is None else report["cost_usd"])
    set_output("findings", len(findings))
    set_output("report", report_path)
    set_output("sarif", sarif)
    summary(review_summary(report))
    pr = ev.get("pull_request")
    if pr and inp("post-review", "true") == "true":
        post_review(ev, pr, report)
    return code


def review_summary(report):
    findings = report.get("findings", [])
    lines = [f"### reins review of {report.get('scope', '')}: {report.get('verdict', '')}", "",
             report.get("summary", ""), ""]
    if findings:
        lines += ["| priority | where | finding |", "| --- | --- | --- |"]
        for f in findings:
            title = f.get("title", "").replace("|", "\\|")
            lines.append(f"| {f['priority']} | `{f['path']}:{f['line_start']}` | {title} |")
    else:
        lines.append("No findings.")
    lines.append("")
    lines.append(f"{len(report.get('dropped', []))} dropped, {report.get('dismissed', 0)} dismissed; "
                 f"cost {'unknown' if report.get('cost_usd') is None else '$%.4f' % report['cost_usd']}")
    return "\n".join(lines)


def comment_body(f):
    body = f"**{f['priority']}: {f['title']}** (confidence {f['confidence']:.2f})\n\n{f['explanation']}"
    if f.get("suggested_fix"):
        body += f"\n\nSuggested fix:\n\n{f['suggested_fix']}"
    return body + f"\n\n<sub>reins finding {f['id']}: add it to `.reins/review-dismissed` to silence it</sub>"


def post_review(ev, pr, report):
    """One review on the pull request: the summary, and an inline comment per finding."""
    token = inp("github-token")
    repo = ev.get("repository", {}).get("full_name") or os.environ.get("GITHUB_REPOSITORY", "")
    if not token or not repo:
        print("reins action: no token or repository; the review is not posted", file=sys.stderr)
        return
    comments = []
    for f in report.get("findings", []):
        c = {"path": f["path"], "line": f["line_end"], "side": "RIGHT", "body": comment_body(f)}
        if f["line_start"] != f["line_end"]:
            c["start_line"], c["start_side"] = f["line_start"], "RIGHT"
        comments.append(c)
    body = {
        "commit_id": pr["head"]["sha"],
        "event": inp("review-event", "COMMENT"),
        "body": f"**reins review: {report.get('verdict', '')}**\n\n{report.get('summary', '')}",
        "comments": comments,
    }
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")
    url = f"{api}/repos/{repo}/pulls/{pr['number']}/reviews"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}",
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
        "Content-Type": "application/json",
        "User-Agent": "reins-action",
    })
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            print(f"reins action: posted a review with {len(comments)} comments ({resp.status})",
                  file=sys.stderr)
    except urllib.error.HTTPError as e:
        # A fork's read-only token cannot review: say so, and keep the job's result.
        print(f"::warning::reins could not post the review ({e.code}): {e.read()[:300]!r}",
              file=sys.stderr)
    except urllib.error.URLError as e:
        print(f"::warning::reins could not reach the GitHub API: {e.reason}", file=sys.stderr)


def main():
    mode = inp("mode", "exec")
    reins = os.environ.get("REINS_BIN", "reins")
    if mode in ("exec", "run"):
        code = run_session(mode, reins)
    elif mode == "review":
        code = run_review(reins)
    else:
        sys.exit(f"reins action: unknown mode {mode!r}: exec, run or review")
    sys.exit(code)


if __name__ == "__main__":
    main()
