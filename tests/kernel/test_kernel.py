"""tunelint in a real IPython kernel (ipykernel, driven by jupyter_client), and tunelint.guard().

Run by tests/kernel/run.sh inside a virtual environment that has ipykernel and jupyter_client;
the kernel's sys.path gets a site directory of small real packages and hand-made dist-info
(fixtures.py). Each test starts its own kernel. Prints `N passed, M failed` and exits 1 on a
failure.

Environment: TUNELINT_KERNEL_WORK (a scratch directory), PYTHONPATH / TUNELINT_BINARY as
run.sh sets them (or a wheel installed in the venv).
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixtures  # noqa: E402


WORK = os.environ.get("TUNELINT_KERNEL_WORK") or tempfile.mkdtemp(prefix="tunelint-kernel-")
ARTIFACTS = os.environ.get("TUNELINT_KERNEL_ARTIFACTS", os.path.join(WORK, "artifacts"))
os.makedirs(ARTIFACTS, exist_ok=True)


class Kernel:
    """A started ipykernel whose sys.path starts with `site`."""

    def __init__(self, site: str, extra_env: dict | None = None, cwd: str | None = None):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([site] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
        env.pop("JPY_SESSION_NAME", None)
        env.update(extra_env or {})
        from jupyter_client.manager import start_new_kernel

        self.km, self.kc = start_new_kernel(kernel_name="python3", env=env, cwd=cwd or WORK, startup_timeout=60)
        self.log: list[dict] = []

    def run(self, code: str, timeout: float = 120) -> dict:
        """Runs one cell; returns its outputs: stream text, display bundles, error, reply."""
        outputs = {"stdout": [], "stderr": [], "display": [], "error": None, "stream_bytes": 0}

        def hook(msg):
            t = msg["msg_type"]
            c = msg["content"]
            if t == "stream":
                outputs["stream_bytes"] += len(c["text"])
                if len("".join(outputs[c["name"]])) < 200_000:
                    outputs[c["name"]].append(c["text"])
            elif t in ("display_data", "execute_result"):
                outputs["display"].append(c["data"])
            elif t == "error":
                outputs["error"] = f"{c['ename']}: {c['evalue']}"

        reply = self.kc.execute_interactive(code, output_hook=hook, timeout=timeout)
        outputs["status"] = reply["content"]["status"]
        outputs["stdout"] = "".join(outputs["stdout"])
        outputs["stderr"] = "".join(outputs["stderr"])
        self.log.append({"code": code[:500], "outputs": {k: v for k, v in outputs.items() if k != "stdout" or len(v) < 5000}})
        return outputs

    def close(self):
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)


def html_of(out: dict) -> str:
    return "\n".join(d.get("text/html", "") for d in out["display"])


def text_of(out: dict) -> str:
    return "\n".join(d.get("text/plain", "") for d in out["display"])


def no_internal_error(out: dict) -> None:
    assert out["status"] == "ok", f"cell failed: {out['error']}"
    text = text_of(out) + out["stdout"] + out["stderr"]
    assert "internal error" not in text and "Traceback" not in text, f"an internal failure reached the cell: {text[:2000]}"


def site(name: str, versions: dict, broken: bool = False) -> str:
    d = os.path.join(WORK, name)
    fixtures.make_site(d, versions)
    if broken:
        fixtures.add_broken(d)
    return d


# --- tests ------------------------------------------------------------------------------------

def test_load_founding_environment_and_patch_line_under_its_cell():
    k = Kernel(site("site-founding", fixtures.FOUNDING))
    try:
        out = k.run("%load_ext tunelint")
        no_internal_error(out)
        html, text = html_of(out), text_of(out)
        assert "UNS001" in html and "UNS001" in text, f"no UNS001 on load: {text[:3000]}"
        assert "peft-0.12.0.dist-info" in html, "the version's source (its dist-info) is not shown"
        assert "<script" not in html.lower(), "the rendering must not need JavaScript"
        assert "tunelint: loaded:" in text and "distributions" in text
        # a quiet cell: nothing shown, no binary run
        quiet = k.run("x = 1 + 1\nprint('hello')")
        assert quiet["display"] == [], f"a quiet cell got output: {quiet['display']}"
        # the founding-case patch line, printed by the cell that calls get_peft_model
        cell = ("from unsloth import FastLanguageModel\n"
                "model, tokenizer = FastLanguageModel.from_pretrained('unsloth/gemma-2-9b-bnb-4bit')\n"
                "model = FastLanguageModel.get_peft_model(model, r=16, lora_dropout=0, bias='none',\n"
                "    target_modules=['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'])")
        out = k.run(cell)
        no_internal_error(out)
        assert "0 QKV layers" in out["stdout"], "the cell's own output must still reach the user"
        html, text = html_of(out), text_of(out)
        assert "UNS001" in html, f"no UNS001 under the cell that printed the patch line: {text[:3000]}"
        assert "printed: Unsloth 2024.7 patched 42 layers with 0 QKV layers" in text
        assert "git+https://github.com/unslothai/unsloth.git" in text, "the fix command is not shown"
        # %tunelint and %tunelint env
        out = k.run("%tunelint")
        no_internal_error(out)
        assert "UNS001" in text_of(out)
        out = k.run("%tunelint env")
        no_internal_error(out)
        assert "peft" in text_of(out) and "0.12.0" in text_of(out) and "UNS001" in html_of(out)
        with open(os.path.join(ARTIFACTS, "founding-load.html"), "w") as f:
            f.write(html_of(k.log[0]["outputs"]) if k.log else "")
    finally:
        k.close()


def test_output_alone_gives_the_finding():
    """No unsloth distribution at all: the printed line is the only evidence."""
    k = Kernel(site("site-output-only", {"peft": "0.12.0", "torch": "2.3.1"}))
    try:
        out = k.run("%load_ext tunelint")
        no_internal_error(out)
        assert "UNS001" not in text_of(out)
        out = k.run("print('Unsloth 2024.7 patched 28 layers with 0 QKV layers, 0 O layers and 0 MLP layers.')")
        no_internal_error(out)
        assert "UNS001" in text_of(out), f"the patch line alone did not give UNS001: {text_of(out)[:2000]}"
        # the same line with Unsloth's own dropout warning is explained (info, not shown)
        out = k.run("print('Unsloth 2024.7 patched 28 layers with 0 QKV layers, 0 O layers and 0 MLP layers.')  # again")
        no_internal_error(out)
    finally:
        k.close()


def test_install_after_import_says_restart():
    d = site("site-restart", {"peft": "0.11.1", "torch": "2.3.1"})
    wheel = fixtures.make_wheel(os.path.join(WORK, "wheels"), "peft", "0.12.0")
    k = Kernel(d)
    try:
        no_internal_error(k.run("%load_ext tunelint"))
        out = k.run("import peft\nprint(peft.__version__)")
        no_internal_error(out)
        assert out["display"] == [], "an import cell shows nothing"
        cell = f"!{{sys.executable}} -m pip install --quiet --no-index --no-deps --disable-pip-version-check --upgrade --target {d} {wheel}"
        out = k.run("import sys\n" + cell)
        no_internal_error(out)
        text = text_of(out)
        assert "peft 0.11.1 is imported, 0.12.0 is installed: restart the runtime" in text, f"no restart finding: {text[:3000]} / {out['stderr'][-2000:]}"
        assert "NB001" in html_of(out)
        # a change on disk without a pip line (site-packages mtime): another version
        out = k.run(
            "import os, shutil\n"
            f"shutil.move({d!r} + '/peft-0.12.0.dist-info', {d!r} + '/peft-0.13.0.dist-info')\n"
            f"p = {d!r} + '/peft-0.13.0.dist-info/METADATA'\n"
            "text = open(p).read().replace('Version: 0.12.0', 'Version: 0.13.0')\n"
            "with open(p, 'w') as f:\n    f.write(text)"
        )
        no_internal_error(out)
        assert "peft 0.11.1 is imported, 0.13.0 is installed: restart the runtime" in text_of(out), text_of(out)[:2000]
        # nothing new: nothing said again
        out = k.run("y = 2")
        assert out["display"] == []
    finally:
        k.close()


def test_unload_restores_everything():
    k = Kernel(site("site-unload", {"peft": "0.12.0"}))
    try:
        before = k.run("import sys\nprint(type(sys.stdout).__name__, 'write' in vars(sys.stdout), len(get_ipython().events.callbacks['post_run_cell']))")
        no_internal_error(k.run("%load_ext tunelint"))
        during = k.run("print(type(sys.stdout).__name__, 'write' in vars(sys.stdout), len(get_ipython().events.callbacks['post_run_cell']))")
        assert during["stdout"] != before["stdout"], "the extension hooked nothing"
        no_internal_error(k.run("%unload_ext tunelint"))
        after = k.run("print(type(sys.stdout).__name__, 'write' in vars(sys.stdout), len(get_ipython().events.callbacks['post_run_cell']))")
        assert after["stdout"] == before["stdout"], f"not restored: {before['stdout']!r} -> {after['stdout']!r}"
        out = k.run("%tunelint")
        assert out["status"] == "error" and "not found" in (out["error"] or "") + out["stderr"], "the magic is still there"
        out = k.run("print('Unsloth 2024.7 patched 28 layers with 0 QKV layers, 0 O layers and 0 MLP layers.')")
        assert out["display"] == [], "an unloaded extension still reacts"
        # and it loads again
        out = k.run("%load_ext tunelint")
        no_internal_error(out)
        assert "tunelint: loaded:" in text_of(out)
    finally:
        k.close()


def test_bad_input_broken_dist_info_no_notebook_and_100_mb():
    d = site("site-broken", fixtures.FOUNDING, broken=True)
    k = Kernel(d, extra_env={"JPY_SESSION_NAME": os.path.join(WORK, "no-such-notebook.ipynb")})
    try:
        out = k.run("%load_ext tunelint")
        no_internal_error(out)
        assert "UNS001" in text_of(out)
        assert "unreadable distribution metadata skipped" in text_of(out), text_of(out)[:1000]
        # 100 MB printed, the patch line at its very end
        t0 = time.time()
        out = k.run(
            "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(100):\n    sys.stdout.write(chunk)\n"
            "print()\nprint('Unsloth 2024.7 patched 28 layers with 0 QKV layers, 0 O layers and 0 MLP layers.')",
            timeout=600,
        )
        took = time.time() - t0
        no_internal_error(out)
        assert out["stream_bytes"] >= 100 * (1 << 20), f"only {out['stream_bytes']} bytes arrived"
        assert "UNS001" in text_of(out), "the line after 100 MB was not seen"
        # nothing is kept after the cell
        out = k.run("import tunelint._kernel as m\nt = m._extension.tap\nprint(t.tail_len, len(t.hits), t.total)")
        assert out["stdout"].split() == ["0", "0", "0"], out["stdout"]
        print(f"    100 MB cell: {took:.1f} s")
        # a notebook path that is a directory, and garbage in __session__
        out = k.run(f"__session__ = {WORK!r}\n%tunelint")
        no_internal_error(out)
        out = k.run("__session__ = 42\n%tunelint")
        no_internal_error(out)
    finally:
        k.close()


def test_one_checker_process_serves_the_session_and_stops_with_it():
    d = site("site-service", {"peft": "0.11.1", "unsloth": "2024.7"})
    k = Kernel(d)
    pid_of = ("import tunelint._kernel as m\n"
              "p = m._extension.checker._service._proc\n"
              "print(p.pid if p is not None and p.poll() is None else 'none', m._extension.checker._service.failures)")
    try:
        no_internal_error(k.run("%load_ext tunelint"))
        first = k.run(pid_of)["stdout"].split()
        assert first[0] != "none" and first[1] == "0", f"no check-service running after the load: {first}"
        # an upgrade on disk: the check after the cell goes to the same process
        out = k.run(
            "import shutil\n"
            f"shutil.move({d!r} + '/peft-0.11.1.dist-info', {d!r} + '/peft-0.12.0.dist-info')\n"
            f"p = {d!r} + '/peft-0.12.0.dist-info/METADATA'\n"
            "text = open(p).read().replace('Version: 0.11.1', 'Version: 0.12.0')\n"
            "with open(p, 'w') as f:\n    f.write(text)"
        )
        no_internal_error(out)
        assert "UNS001" in text_of(out), f"the changed environment was not checked again: {text_of(out)[:2000]}"
        assert k.run(pid_of)["stdout"].split() == first, "the check after the install started another process"
        no_internal_error(k.run("%unload_ext tunelint"))
        out = k.run(f"import os, time\ntime.sleep(0.5)\nprint(os.path.exists('/proc/{first[0]}'))")
        assert out["stdout"].strip() == "False", "the check-service outlived %unload_ext"
    finally:
        k.close()


def test_a_binary_without_the_check_service_still_checks():
    real = os.environ.get("TUNELINT_BINARY") or __import__("tunelint._binary", fromlist=["x"]).find_binary()
    old = os.path.join(WORK, "old-tunelint")
    with open(old, "w") as f:
        f.write("#!/bin/sh\n"
                "if [ \"$1\" = check-service ]; then echo \"error: unrecognized subcommand 'check-service'\" >&2; exit 2; fi\n"
                f"exec {real} \"$@\"\n")
    os.chmod(old, 0o755)
    k = Kernel(site("site-oldbinary", fixtures.FOUNDING), extra_env={"TUNELINT_BINARY": old})
    try:
        out = k.run("%load_ext tunelint")
        no_internal_error(out)
        assert "UNS001" in text_of(out), text_of(out)[:2000]
        out = k.run("%tunelint")
        no_internal_error(out)
        assert "UNS001" in text_of(out), text_of(out)[:2000]
        out = k.run("import tunelint._kernel as m\nprint(m._extension.checker._service.failures)")
        assert out["stdout"].strip() == "2", f"the service was not given up after two failures: {out['stdout']!r}"
    finally:
        k.close()


def test_missing_binary_is_one_line():
    k = Kernel(site("site-nobinary", {"peft": "0.12.0"}), extra_env={"TUNELINT_BINARY": "/nonexistent/tunelint"})
    try:
        out = k.run("%load_ext tunelint")
        assert out["status"] == "ok"
        assert "TUNELINT_BINARY=/nonexistent/tunelint is not an executable file" in text_of(out), text_of(out)
        out = k.run("print('Unsloth 2024.7 patched 28 layers with 0 QKV layers, 0 O layers and 0 MLP layers.')")
        assert out["status"] == "ok" and out["display"] == [], "the same failure is said once"
    finally:
        k.close()


def test_notebook_file_is_checked():
    d = site("site-notebook", {"peft": "0.11.1"})
    nbdir = os.path.join(WORK, "nb")
    os.makedirs(nbdir, exist_ok=True)
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
          "cells": [{"cell_type": "code", "id": "a", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": "import trl\nfrom trl import SFTTrainer\ntrainer = SFTTrainer(model=None, tokenizer=None)"}]}
    path = os.path.join(nbdir, "train.ipynb")
    json.dump(nb, open(path, "w"))
    k = Kernel(site("site-notebook", {"peft": "0.11.1", "trl": "0.16.0", "transformers": "4.51.3"}), extra_env={"JPY_SESSION_NAME": path}, cwd=nbdir)
    try:
        out = k.run("%load_ext tunelint")
        no_internal_error(out)
        assert "train.ipynb" in text_of(out), f"the notebook file was not checked: {text_of(out)[:2000]}"
    finally:
        k.close()


def _script(site_dir: str, body: str) -> subprocess.CompletedProcess:
    path = os.path.join(WORK, "train.py")
    with open(path, "w") as f:
        f.write(body)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([site_dir] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return subprocess.run([sys.executable, path], capture_output=True, text=True, env=env, cwd=WORK, timeout=120)


def test_guard_raises_on_the_founding_case_and_passes_when_fixed():
    bad = site("site-guard-bad", fixtures.FOUNDING)
    good = site("site-guard-good", fixtures.FIXED)
    body = "import tunelint\ntunelint.guard()\nprint('training starts')\n"
    out = _script(bad, body)
    assert out.returncode != 0 and "TunelintError" in out.stderr and "UNS001" in out.stderr, out.stderr[-3000:]
    assert "training starts" not in out.stdout
    assert "peft 0.12.0" in out.stderr and "unsloth 2024.7" in out.stderr
    out = _script(good, body)
    assert out.returncode == 0 and "training starts" in out.stdout, out.stderr[-3000:]
    out = _script(bad, "import warnings, tunelint\nwith warnings.catch_warnings(record=True) as w:\n    warnings.simplefilter('always')\n    tunelint.guard(action='warn')\nprint('training starts', len(w), 'UNS001' in str(w[0].message))\n")
    assert out.returncode == 0 and "training starts 1 True" in out.stdout, out.stdout + out.stderr[-2000:]
    out = _script(bad, "import tunelint\ntunelint.guard(level='error')\nprint('training starts')\n")
    assert out.returncode == 0 and "training starts" in out.stdout, "UNS001 is a warning: level='error' lets it run"
    # a guard that cannot judge warns and lets the run go on
    env_body = "import os\nos.environ['TUNELINT_BINARY'] = '/nonexistent'\nimport tunelint\ntunelint.guard()\nprint('training starts')\n"
    out = _script(bad, env_body)
    assert out.returncode == 0 and "training starts" in out.stdout and "could not check" in out.stderr, out.stderr


def test_the_environment_is_read_as_importlib_finds_it():
    """Kernel-free: the snapshot agrees with importlib.metadata, whether a directory is on
    sys.path by name or as the current directory, unchanged (kept) or changed (read again)."""
    from importlib.metadata import distributions

    from tunelint import _environment

    # a directory of its own on each run: run.sh runs this test once per Python in one WORK
    d = tempfile.mkdtemp(prefix="site-snapshot-", dir=WORK)
    fixtures.make_site(d, {"peft": "0.11.1", "unsloth": "2024.7", "trl": "0.9.6"})
    fixtures.add_broken(d)

    def expected(path):
        out = {}
        for dist in distributions(path=path):
            try:
                name, version = dist.metadata["Name"], dist.version
            except Exception:
                continue
            if name and version:
                out.setdefault(_environment.normalize(name), version)
        return out

    def versions(snap):
        return {k: v.version for k, v in snap.dists.items()}

    hour_ago = time.time() - 3600
    os.utime(d, (hour_ago, hour_ago))
    here = os.getcwd()
    try:
        os.chdir(d)
        for path in ([d], [""], [d, ""]):
            first = _environment.snapshot(path)
            assert versions(first) == expected(path), (path, versions(first), expected(path))
            assert len(first.broken) >= 2, f"broken dist-infos not counted: {first.broken}"
            again = _environment.snapshot(path)
            assert all(again.dists[k] is first.dists[k] for k in first.dists), "an unchanged directory was read again"
            for dist in first.dists.values():
                assert os.path.isabs(dist.path) == bool(path[0]), (path, dist.path)
        # an upgrade: the directory changes, and the new version is read
        os.rename(os.path.join(d, "peft-0.11.1.dist-info"), os.path.join(d, "peft-0.12.0.dist-info"))
        meta = os.path.join(d, "peft-0.12.0.dist-info", "METADATA")
        with open(meta) as f:
            text = f.read().replace("Version: 0.11.1", "Version: 0.12.0")
        with open(meta, "w") as f:
            f.write(text)
        os.utime(d, (hour_ago + 60, hour_ago + 60))
        for path in ([d], [""]):
            assert _environment.snapshot(path).version("peft") == "0.12.0", path
            assert versions(_environment.snapshot(path)) == expected(path)
    finally:
        os.chdir(here)


def test_python_m_tunelint_runs_the_cli():
    out = subprocess.run([sys.executable, "-m", "tunelint", "rule", "UNS001"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "UNS001" in out.stdout, out.stderr
    out = subprocess.run([sys.executable, "-m", "tunelint", "check", "--no-such-flag"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2, "the exit code is the binary's"


def test_the_binary_is_the_one_installed_beside_the_package():
    """With a wheel installed (run.sh TUNELINT_WHEEL=...), the package finds its own binary."""
    if not os.environ.get("TUNELINT_EXPECT_INSTALLED"):
        print("    (skipped: the package runs from the source tree)")
        return
    assert "TUNELINT_BINARY" not in os.environ
    import sysconfig

    from tunelint import _binary

    path = _binary.find_binary()
    assert os.path.dirname(path) == sysconfig.get_path("scripts"), path
    out = subprocess.run([path, "--version"], capture_output=True, text=True)
    import tunelint

    assert out.stdout.strip() == f"tunelint {tunelint.__version__}"


def test_every_symptom_has_needles():
    """The pre-filter's needles come from the binary's export and cover every symptom pattern,
    so no symptom is skipped by the kernel extension that the binary would find."""
    import json
    import subprocess

    from tunelint import _binary
    from tunelint._needles import extract, needles_from_export

    out = subprocess.run([_binary.find_binary(), "advisories", "--format", "json"], capture_output=True, text=True, check=True)
    export = json.loads(out.stdout)
    needles = needles_from_export(export)
    assert needles, "no needles exported"
    for advisory in export["advisories"]:
        for symptom in advisory["symptoms"]:
            literals = symptom["literals"] or extract(symptom["pattern"])
            assert literals, f"{advisory['id']}: no needle for {symptom['pattern']}"
            assert all(lit in needles for lit in literals)


def main(argv: list[str]) -> int:
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    if argv:
        tests = [(n, f) for n, f in tests if any(a in n for a in argv)]
    passed = failed = 0
    import tunelint

    print(f"tunelint package {tunelint.__file__} on Python {sys.version.split()[0]}")
    for name, fn in tests:
        t0 = time.time()
        try:
            fn()
            passed += 1
            print(f"ok   {name} ({time.time() - t0:.1f} s)")
        except Exception:
            failed += 1
            print(f"FAIL {name} ({time.time() - t0:.1f} s)")
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
