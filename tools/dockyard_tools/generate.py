"""Scaffolding a connector from a template in connector-templates/ (generate.sh, make generate, dockyard generate).

Standard library only: generate.sh runs this on a bare `python3` before any virtualenv exists. A template is a
folder of plain files plus `template.toml`; `connector-templates/_shared/` holds the files every connector has.
Files ending in `.tmpl` get their `{{ variable }}` placeholders filled (an unknown placeholder is a template bug
and stops the run), other files are copied as they are, and `__package__` in a path becomes the package name.

Everything is rendered in memory and written to a hidden staging folder beside the target, then renamed into
place; the docs page and the `docs/SUMMARY.md` line follow the same way. Bad input is found before anything is
written, and a failure while writing removes what was written: the generator never leaves half a connector.
"""

from __future__ import annotations

import argparse
import json
import keyword
import os
import re
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from dockyard_tools import CONNECTORS_DIR, REPO_ROOT

TEMPLATES_DIR = REPO_ROOT / "connector-templates"
SHARED_DIR = TEMPLATES_DIR / "_shared"
DOCS_DIR = REPO_ROOT / "docs"
CONSTRAINTS = REPO_ROOT / "constraints.txt"
DOCKERFILE_TEMPLATE = REPO_ROOT / "tools" / "docker" / "connector.Dockerfile.template"
DOCS_PAGE = "docs-page.md.tmpl"  # rendered into docs/integrations/<kind>s/<short name>.md, not into the connector
LOCAL_DISTRIBUTIONS = ("dockyard-runtime",)  # ours, installed from the repo: never pinned
INITIAL_VERSION = "0.1.0"
EXIT_BAD_INPUT = 2
MAX_NAME = 40  # keeps every rendered line within the 120 columns ruff allows
MAX_TITLE = 60
MAX_DESCRIPTION = 200

_NAME = re.compile(r"^(source|destination)-[a-z0-9]+(-[a-z0-9]+)*$")
_PLACEHOLDER = re.compile(r"\{\{ ([a-z_][a-z0-9_]*) \}\}")
# Free text lands inside quoted strings of TOML, JSON, YAML and Python: these characters are safe in all four.
_FREE_TEXT = re.compile(r"^[A-Za-z0-9 .,;:()/&+'!?@#%*=_-]*$")
_SKIPPED = {"template.toml", "__pycache__", ".ruff_cache", ".mypy_cache", ".pytest_cache"}


class GenerateError(Exception):
    """Bad input (name, template, path): reported as one line on stderr with exit code 2."""


class TemplateError(Exception):
    """A broken template (unknown placeholder, unpinned dependency): a bug in connector-templates/."""


@dataclass(frozen=True)
class Template:
    """One folder of connector-templates/ and what its `template.toml` declares."""

    name: str
    path: Path
    kind: str  # "source" | "destination"
    summary: str
    subtype: str
    dependencies: tuple[str, ...]
    test_dependencies: tuple[str, ...]
    package_data: tuple[str, ...]
    tags: tuple[str, ...]
    sync_modes: tuple[str, ...]
    sample_note: str = ""  # what sample_files/config.json needs before `check` works, if anything


@dataclass(frozen=True)
class Generated:
    """What `generate` wrote."""

    name: str
    template: Template
    connector_dir: Path
    docs_page: Path
    summary: Path
    files: tuple[str, ...]
    variables: Mapping[str, str] = field(repr=False)


def _read_template(path: Path) -> Template:
    try:
        with (path / "template.toml").open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TemplateError(f"{path.name}/template.toml cannot be read: {exc}") from exc
    kind = data.get("kind")
    if kind not in ("source", "destination"):
        raise TemplateError(f"{path.name}/template.toml: kind is {kind!r} (expected: source, destination)")
    return Template(
        name=path.name,
        path=path,
        kind=kind,
        summary=str(data.get("summary", "")),
        subtype=str(data.get("subtype", "api" if kind == "source" else "database")),
        dependencies=tuple(data.get("dependencies", ())),
        test_dependencies=tuple(data.get("test_dependencies", ("pytest",))),
        package_data=tuple(data.get("package_data", ("spec.json", "py.typed"))),
        tags=tuple(data.get("tags", ("language:python",))),
        sync_modes=tuple(data.get("sync_modes", ())),
        sample_note=str(data.get("sample_note", "")),
    )


def templates(root: Path = TEMPLATES_DIR) -> dict[str, Template]:
    """Every template by name (folders of `root` holding a template.toml)."""
    if not root.is_dir():
        return {}
    return {p.name: _read_template(p) for p in sorted(root.iterdir()) if (p / "template.toml").is_file()}


def load_template(name: str, root: Path = TEMPLATES_DIR) -> Template:
    known = templates(root)
    if name not in known:
        raise GenerateError(f"Unknown template '{name}' (expected one of: {', '.join(known) or 'none'}).")
    return known[name]


# -- names -------------------------------------------------------------------------------------------------------
def check_name(name: str, kind: str | None = None) -> None:
    """Raise GenerateError unless `name` is a kebab-case connector name (of `kind`, when given)."""
    if not _NAME.match(name) or len(name) > MAX_NAME:
        raise GenerateError(
            f"Invalid connector name '{name}' (expected kebab-case starting with source- or destination-, "
            "at most 40 characters, e.g. source-acme-crm)."
        )
    if kind is not None and not name.startswith(f"{kind}-"):
        raise GenerateError(f"Invalid connector name '{name}' for a {kind} template (expected: {kind}-<name>).")
    package = package_name(name)
    if not package.isidentifier() or keyword.iskeyword(package):
        raise GenerateError(f"Invalid connector name '{name}': {package} is not a Python package name.")


def package_name(name: str) -> str:
    return name.replace("-", "_")


def class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def short_name(name: str) -> str:
    """The name without its kind: the docs page's file name (source-acme-crm -> acme-crm)."""
    return name.partition("-")[2]


def default_title(name: str) -> str:
    return " ".join(part.capitalize() for part in short_name(name).split("-"))


def _check_free_text(what: str, value: str, limit: int) -> str:
    value = value.strip()
    if not value or not _FREE_TEXT.match(value) or len(value) > limit:
        raise GenerateError(
            f"Invalid {what} {value!r} (expected one line of at most {limit} letters, digits, spaces "
            "and .,;:()/&+'!?@#%*=_-)."
        )
    return value


# -- pins --------------------------------------------------------------------------------------------------------
def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def read_pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """`constraints.txt` as normalized name -> `name==version` requirement."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = (part.strip() for part in line.split("==", 1))
            pins[_normalize(name)] = f"{name}=={version}"
    return pins


def _requirement(distribution: str, pins: Mapping[str, str], template: str) -> str:
    if distribution in LOCAL_DISTRIBUTIONS:
        return distribution
    pin = pins.get(_normalize(distribution))
    if pin is None:
        raise TemplateError(f"Template {template} depends on {distribution}, which constraints.txt does not pin")
    return pin


# -- rendering ---------------------------------------------------------------------------------------------------
def variables(template: Template, name: str, *, title: str, description: str) -> dict[str, str]:
    """The placeholder values of one rendering (see docs/generator.md for the list)."""
    pins = read_pins()
    kind = template.kind
    short = short_name(name)

    def toml_list(items: Sequence[str], indent: str = "  ") -> str:
        return "\n".join(f'{indent}"{item}",' for item in items)

    dependencies = ["dockyard-runtime", *template.dependencies]
    return {
        "name": name,
        "package": package_name(name),
        "class_name": class_name(name),
        "short_name": short,
        "title": title,
        "description": description,
        "kind": kind,
        "kinds": f"{kind}s",
        "template": template.name,
        "version": INITIAL_VERSION,
        "definition_id": str(uuid.uuid4()),
        "docker_repository": f"dockyard/{name}",
        "docs_url": f"docs/integrations/{kind}s/{short}.md",
        "connector_subtype": template.subtype,
        "dependencies": toml_list([_requirement(d, pins, template.name) for d in dependencies]),
        "test_dependencies": toml_list([_requirement(d, pins, template.name) for d in template.test_dependencies]),
        "package_data": ", ".join(f'"{item}"' for item in template.package_data),
        "tags": "\n".join(f"    - {tag}" for tag in template.tags),
        "sync_modes": "\n".join(f"    - {mode}" for mode in template.sync_modes),
        "sync_modes_key": "supportedSyncModes" if kind == "source" else "supportedDestinationSyncModes",
        "sync_modes_json": json.dumps(list(template.sync_modes)),
        "cdk_version": pins.get("airbyte-cdk", "").partition("==")[2],
    }


def render_text(text: str, values: Mapping[str, str], *, source: str) -> str:
    """Fill `{{ variable }}` placeholders; an unknown one raises TemplateError naming the file."""

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise TemplateError(f"{source}: unknown placeholder {match.group(0)} (known: {', '.join(sorted(values))})")
        return values[key]

    return _PLACEHOLDER.sub(fill, text)


def _template_files(template: Template) -> dict[str, Path]:
    """Relative path in the connector -> template file; the template's own files win over _shared/."""
    files: dict[str, Path] = {}
    for root in (SHARED_DIR, template.path):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if path.is_dir() or _SKIPPED & set(relative.parts) or path.suffix == ".pyc":
                continue
            files[relative.as_posix()] = path
    return files


def render_files(template: Template, values: Mapping[str, str]) -> tuple[dict[str, bytes], bytes]:
    """The connector's files (relative path -> content) and the docs page, all in memory."""
    rendered: dict[str, bytes] = {}
    docs_page: bytes | None = None
    for relative, path in _template_files(template).items():
        target = relative.replace("__package__", values["package"])
        if target.endswith(".tmpl"):
            target = target[: -len(".tmpl")]
            content = render_text(path.read_text(encoding="utf-8"), values, source=f"{template.name}/{relative}")
            data = content.encode("utf-8")
        else:
            data = path.read_bytes()
        if relative == DOCS_PAGE:
            docs_page = data
        else:
            rendered[target] = data
    if docs_page is None:
        raise TemplateError(f"Template {template.name} has no {DOCS_PAGE} (nor has _shared/)")
    try:
        dockerfile = DOCKERFILE_TEMPLATE.read_text(encoding="utf-8")
    except OSError as exc:
        raise TemplateError(f"Cannot read the connector Dockerfile template {DOCKERFILE_TEMPLATE}: {exc}") from exc
    rendered["Dockerfile"] = dockerfile.replace("{{ name }}", values["name"]).encode("utf-8")
    return rendered, docs_page


# -- docs/SUMMARY.md ---------------------------------------------------------------------------------------------
_LINK = re.compile(r"^(?P<indent>\s*)(?P<bullet>[-*]) \[(?P<title>[^\]]*)\]\((?P<target>[^)]+)\)")


def add_to_summary(text: str, *, kind: str, title: str, target: str) -> str:
    """`text` with a link to `target` among the other pages of this kind, kept in alphabetical order."""
    lines = text.splitlines()
    prefix = f"integrations/{kind}s/"
    entries = [
        (i, m)
        for i, line in enumerate(lines)
        if (m := _LINK.match(line)) and m["target"].startswith(prefix) and not m["target"].endswith("README.md")
    ]
    if entries:
        indent, bullet = entries[0][1]["indent"], entries[0][1]["bullet"]
        after = [i for i, m in entries if m["title"].lower() > title.lower()]
        position = after[0] if after else entries[-1][0] + 1
    else:
        section = re.compile(rf"\b{kind}s\b", re.IGNORECASE)
        heading = next((i for i, line in enumerate(lines) if section.search(line)), None)
        if heading is None:
            lines += ["", f"## {kind.capitalize()}s", ""]
            heading = len(lines) - 1
            indent, bullet = "", "-"
        else:
            match = _LINK.match(lines[heading]) or re.match(r"^(?P<indent>\s*)(?P<bullet>[-*]) ", lines[heading])
            indent = match["indent"] + "  " if match else ""
            bullet = match["bullet"] if match else "-"
        position = heading + 1
    lines.insert(position, f"{indent}{bullet} [{title}]({target})")
    return "\n".join(lines) + "\n"


# -- writing -----------------------------------------------------------------------------------------------------
def _check_not_taken(name: str, output_dir: Path, page: Path) -> None:
    for place in {output_dir / name, CONNECTORS_DIR / name}:
        if place.exists() or place.is_symlink():
            raise GenerateError(f"Connector '{name}' already exists at {place} (the generator never overwrites).")
    if page.exists():
        raise GenerateError(f"The docs page {page} already exists (the generator never overwrites).")


def _first_missing(path: Path) -> Path | None:
    """The topmost ancestor of `path` (or `path`) that does not exist yet: what to remove on failure."""
    missing = None
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            break
        missing = candidate
    return missing


def _writable_dir(path: Path, what: str) -> None:
    """Create `path` if needed and prove it writable by creating a file in it."""
    if path.exists() and not path.is_dir():
        raise GenerateError(f"Cannot write the {what} to {path}: it is not a directory.")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".generate-probe-"):
            pass
    except OSError as exc:
        raise GenerateError(f"Cannot write the {what} to {path}: {exc.strerror or exc}.") from exc


def _write_tree(root: Path, files: Mapping[str, bytes]) -> None:
    for relative, data in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def generate(
    template: str,
    name: str,
    *,
    title: str | None = None,
    description: str | None = None,
    output_dir: Path = CONNECTORS_DIR,
    docs_dir: Path = DOCS_DIR,
) -> Generated:
    """Render `template` as connector `name` into `output_dir`, its docs page into `docs_dir`, listed in SUMMARY.md.

    Raises GenerateError for bad input before writing anything, and removes whatever it wrote when writing fails.
    """
    chosen = load_template(template)
    check_name(name, chosen.kind)
    title = _check_free_text("title", title or default_title(name), MAX_TITLE)
    description = _check_free_text("description", description or f"Dockyard {chosen.kind}: {title}.", MAX_DESCRIPTION)
    output_dir, docs_dir = Path(output_dir).absolute(), Path(docs_dir).absolute()
    page = docs_dir / "integrations" / f"{chosen.kind}s" / f"{short_name(name)}.md"
    _check_not_taken(name, output_dir, page)
    values = variables(chosen, name, title=title, description=description)
    files, docs_page = render_files(chosen, values)
    summary = docs_dir / "SUMMARY.md"
    try:
        summary_text = summary.read_text(encoding="utf-8") if summary.exists() else "# Summary\n"
    except OSError as exc:
        raise GenerateError(f"Cannot read {summary}: {exc.strerror or exc}.") from exc
    new_summary = add_to_summary(
        summary_text, kind=chosen.kind, title=title, target=page.relative_to(docs_dir).as_posix()
    )

    created = [d for d in {_first_missing(output_dir), _first_missing(page.parent)} if d is not None]
    target = output_dir / name
    undo: list[Callable[[], None]] = [lambda: _remove_new_dirs(created)]
    staging: Path | None = None
    try:
        _writable_dir(output_dir, "connector")
        _writable_dir(page.parent, "docs page")
        staging = Path(tempfile.mkdtemp(dir=output_dir, prefix=f".{name}.generating-"))
        staging.chmod(0o777 & ~_umask())  # mkdtemp's 0700 would otherwise become the connector folder's mode
        _write_tree(staging, files)
        os.rename(staging, target)  # fails if the name was taken meanwhile: never overwrite
        staging = None
        undo.append(lambda: shutil.rmtree(target, ignore_errors=True))
        _atomic_write(page, docs_page, exclusive=True)
        undo.append(lambda: page.unlink(missing_ok=True))
        _atomic_write(summary, new_summary.encode("utf-8"), exclusive=False)
    except BaseException as exc:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        for step in reversed(undo):
            step()
        if isinstance(exc, OSError):
            where = exc.filename or target
            raise GenerateError(f"Cannot write {name}: {exc.strerror or exc} ({where}).") from exc
        raise
    return Generated(
        name=name,
        template=chosen,
        connector_dir=target,
        docs_page=page,
        summary=summary,
        files=tuple(sorted(files)),
        variables=values,
    )


def _remove_new_dirs(created: Sequence[Path]) -> None:
    for path in created:
        shutil.rmtree(path, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic_write(path: Path, data: bytes, *, exclusive: bool) -> None:
    """Write `path` whole or not at all, with the mode a plain write would give it (mkstemp's is 0600)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(handle, mode)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        if exclusive:
            os.link(temporary, path)  # refuses to replace an existing file
        else:
            os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


# -- command line ------------------------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own two-line usage dump becomes our one line
        raise GenerateError(message[0].upper() + message[1:] + ".")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="generate.sh",
        description="Scaffold a new connector from a template. Prompts for what is missing when run in a terminal.",
    )
    parser.add_argument("--template", "-t", help="template name (see --list)")
    parser.add_argument("--name", "-n", help="connector name, e.g. source-acme-crm")
    parser.add_argument("--title", help="display name (default: from the name, e.g. Acme Crm)")
    parser.add_argument("--description", help="one-line description")
    parser.add_argument("--output-dir", type=Path, default=CONNECTORS_DIR, help="where the connector folder goes")
    parser.add_argument("--docs-dir", type=Path, default=DOCS_DIR, help="docs root holding SUMMARY.md")
    parser.add_argument("--list", action="store_true", help="list the templates and exit")
    parser.add_argument("--no-input", action="store_true", help="never prompt; fail on a missing value")
    return parser


def _say(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def _ask(question: str, default: str | None = None) -> str:
    suffix = f" [{default}]" if default else ""
    answer = input(f"{question}{suffix}: ").strip()
    return answer or default or ""


def _interactive(args: argparse.Namespace) -> None:
    known = templates()
    if not args.template:
        _say("Templates:")
        for template in known.values():
            _say(f"  {template.name:<20} {template.summary}")
        args.template = _ask("Template", next(iter(known), None))
    load_template(args.template)
    if not args.name:
        kind = known[args.template].kind
        args.name = _ask(f"Connector name ({kind}-<name>, kebab-case)")
    check_name(args.name, known[args.template].kind)
    if not args.title:
        args.title = _ask("Display name", default_title(args.name))
    if not args.description:
        args.description = _ask("One-line description", f"Dockyard {known[args.template].kind}: {args.title}.")


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def next_steps(result: Generated) -> list[str]:
    """What to run now, printed after a successful rendering."""
    name = result.name
    folder = _shown(result.connector_dir)
    mount = folder if Path(folder).is_absolute() else f"$PWD/{folder}"
    lines = [
        f"Created {folder} from template {result.template.name}",
        f"  docs page {_shown(result.docs_page)}, listed in {_shown(result.summary)}",
        "",
        "Next steps:",
    ]
    if result.connector_dir.parent != CONNECTORS_DIR:
        lines.append(f"  (it is outside {_shown(CONNECTORS_DIR)}: move it there to use the make targets)")
    lines += [
        f"  make test CONNECTOR={name}     # install into .venv, lint, type-check, its tests, the acceptance suite",
        f"  make build CONNECTOR={name}    # the Docker image {result.variables['docker_repository']}:dev",
        f"  docker run --rm dockyard/{name}:dev spec",
    ]
    if result.template.sample_note:
        lines.append(f"  ({result.template.sample_note})")
    lines += [
        f'  docker run --rm -v "{mount}/sample_files:/sample_files:ro" dockyard/{name}:dev check '
        "--config /sample_files/config.json",
        f"Then make it yours: {folder}/{result.variables['package']}/ and {_shown(result.docs_page)}.",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """generate.sh's entry: exit 0 on success, 2 with one line on stderr for bad input."""
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        if args.list:
            for template in templates().values():
                _say(f"{template.name:<20} {template.summary}")
            return 0
        if not args.no_input and sys.stdin.isatty():
            _interactive(args)
        if not args.template:
            raise GenerateError(f"Missing --template (expected one of: {', '.join(templates())}).")
        if not args.name:
            raise GenerateError("Missing --name (e.g. --name source-acme-crm).")
        result = generate(
            args.template,
            args.name,
            title=args.title,
            description=args.description,
            output_dir=args.output_dir,
            docs_dir=args.docs_dir,
        )
    except GenerateError as exc:
        sys.stderr.write(f"generate: {exc}\n")
        return EXIT_BAD_INPUT
    except TemplateError as exc:
        sys.stderr.write(f"generate: broken template, nothing was written: {exc}\n")
        return 1
    except (KeyboardInterrupt, EOFError):
        sys.stderr.write("generate: interrupted, nothing was written.\n")
        return EXIT_BAD_INPUT
    for line in next_steps(result):
        _say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
