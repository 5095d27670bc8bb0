"""Small real packages and hand-made dist-info for the kernel tests.

`make_site(dir, versions)` writes a site directory: for each (name, version) a `.dist-info`
with METADATA, RECORD and top_level.txt, and, for the light packages (`peft`, `unsloth`), a
real importable module whose `__version__` is the version. The heavy ones (torch,
transformers, trl, ...) are metadata only. `make_wheel` builds a real wheel (zip) of one light
package, so a cell can `pip install` it with `--no-index`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile

# unsloth's module prints what Unsloth 2024.7 printed with PEFT 0.12 (the founding case).
UNSLOTH_INIT = '''__version__ = "{version}"


class FastLanguageModel:
    @staticmethod
    def from_pretrained(model_name="unsloth/gemma-2-9b-bnb-4bit", **kwargs):
        return object(), object()

    @staticmethod
    def get_peft_model(model, r=16, target_modules=None, lora_alpha=16, lora_dropout=0, bias="none", **kwargs):
        print("Unsloth {version} patched 42 layers with 0 QKV layers, 0 O layers and 0 MLP layers.")
        return model
'''

LIGHT = {
    "peft": 'import sys as _sys\n__version__ = "{version}"\n',
    "unsloth": UNSLOTH_INIT,
}


def _metadata(name: str, version: str) -> str:
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: tunelint test stand-in\n\nA stand-in.\n"


def _module_files(name: str, version: str) -> dict[str, str]:
    if name in LIGHT:
        return {f"{name}/__init__.py": LIGHT[name].format(version=version)}
    return {}


def _record(files: dict[str, str]) -> str:
    lines = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        lines.append(f"{path},sha256={digest},{len(text.encode())}")
    return "\n".join(lines) + "\n"


def dist_files(name: str, version: str, with_module: bool = True) -> dict[str, str]:
    files = _module_files(name, version) if with_module else {}
    di = f"{name.replace('-', '_')}-{version}.dist-info"
    files[f"{di}/METADATA"] = _metadata(name, version)
    files[f"{di}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: tunelint-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{di}/top_level.txt"] = name.replace("-", "_") + "\n"
    files[f"{di}/INSTALLER"] = "pip\n"
    record_files = dict(files)
    files[f"{di}/RECORD"] = _record(record_files) + f"{di}/RECORD,,\n"
    return files


def make_site(directory: str, versions: dict[str, str]) -> str:
    os.makedirs(directory, exist_ok=True)
    for name, version in versions.items():
        for rel, text in dist_files(name, version).items():
            path = os.path.join(directory, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    return directory


def add_broken(directory: str) -> None:
    """Dist-infos an installer can leave behind: empty METADATA, binary junk, no METADATA,
    and a METADATA without a version."""
    cases = {
        "broken_empty-1.0.dist-info/METADATA": b"",
        "broken_junk-1.0.dist-info/METADATA": bytes(range(256)) * 4,
        "broken_noversion-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: broken-noversion\n\n",
    }
    for rel, data in cases.items():
        path = os.path.join(directory, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    os.makedirs(os.path.join(directory, "broken_nometadata-1.0.dist-info"), exist_ok=True)


def make_wheel(directory: str, name: str, version: str) -> str:
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as z:
        for rel, text in dist_files(name, version).items():
            z.writestr(rel, text)
    return path


FOUNDING = {
    "unsloth": "2024.7",
    "peft": "0.12.0",
    "torch": "2.3.1",
    "transformers": "4.43.3",
    "trl": "0.8.6",
    "accelerate": "0.33.0",
    "bitsandbytes": "0.43.2",
    "xformers": "0.0.27",
}

FIXED = dict(FOUNDING, unsloth="2024.8")
