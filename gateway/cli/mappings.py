"""``nordgate test-mappings`` (the golden samples as a regression suite) and ``nordgate mappings check``.

Both are for integration engineers who change ``mappings/`` without touching Python: the first shows
exactly which FHIR element of which sample a change moved, the second whether the maps themselves
are sound and which local codes in the samples they do not cover. Output is coloured with rich on a
terminal and plain text otherwise (files, CI logs), one line per case so a log greps well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from gateway.toolkit.golden import CaseResult, GoldenCase

__all__ = ["register"]

MAX_SHOWN = 40  # differences printed per failing case; a changed map can move hundreds of elements

MappingsOption = Annotated[Path | None, typer.Option(
    "--mappings", envvar="NORDGATE_MAPPINGS_DIR", file_okay=False,
    help="ConceptMap folder to use (default: NORDGATE_MAPPINGS_DIR or the shipped mappings/)")]


def _console() -> Console:
    from rich.console import Console  # noqa: PLC0415

    # soft_wrap: a FHIR path must stay on one line however narrow the terminal (or 80 columns off one).
    return Console(highlight=False, soft_wrap=True)


def _default_dir(name: str) -> Path:
    from gateway.primitives.errors import ConfigurationError  # noqa: PLC0415
    from gateway.primitives.resources import data_dir  # noqa: PLC0415

    try:
        return data_dir(name)
    except ConfigurationError:
        typer.echo(f"nordgate: no {name}/ folder beside this installation; name one", err=True)
        raise typer.Exit(2) from None


@contextmanager
def _progress(console: Console, total: int, label: str) -> Iterator[Callable[[], None]]:
    """A transient progress bar on a terminal; yields "one more done". Lines printed on ``console``
    meanwhile appear above the bar. Nothing extra in a log."""
    if not console.is_terminal:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn  # noqa: PLC0415

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


def _show_case(console: Console, result: CaseResult, *, error: str | None = None) -> None:
    from rich.text import Text  # noqa: PLC0415

    name = result.case.name if error is None else ""
    if result.passed and error is None:
        console.print(Text.assemble(("PASS", "bold green"), f" {name}"))
        return
    console.print(Text.assemble(("FAIL", "bold red"), f" {result.case.name}"))
    if error is not None:
        console.print(Text(f"  {error}", style="red"))
        return
    console.print(Text(f"  {len(result.differences)} difference(s) from {result.case.expected}", style="dim"))
    context = None
    for difference in result.differences[:MAX_SHOWN]:
        if difference.context != context:
            context = difference.context
            console.print(Text(f"  in {context or 'the output'}:", style="bold"))
        console.print(Text.assemble(
            "    ", (difference.path, "cyan"), ": expected ", (_value(difference.expected), "red"),
            ", got ", (_value(difference.actual), "green")))
    if len(result.differences) > MAX_SHOWN:
        console.print(Text(f"    … and {len(result.differences) - MAX_SHOWN} more", style="dim"))


def _value(value: object) -> str:
    from gateway.toolkit.golden import short  # noqa: PLC0415

    return short(value)


def _run(case: GoldenCase, mappings: Path | None) -> tuple[CaseResult, str | None]:
    from gateway.toolkit.golden import CaseResult, run_case  # noqa: PLC0415

    try:
        return run_case(case, mappings_dir=mappings), None
    except Exception as exc:  # one broken case (missing given file, bad options) must not end the run
        return CaseResult(case, {}), f"could not run: {type(exc).__name__}: {exc}"


def test_mappings(folder: Path, *, update: bool, mappings: Path | None) -> int:
    from gateway.toolkit.golden import discover, write_expected  # noqa: PLC0415

    console = _console()
    cases = list(discover(folder))
    if not cases:
        console.print(f"no golden cases under {folder} (an input .xml/.json with <case>.expected.json beside it)")
        return 1
    failed = updated = broken = 0
    with _progress(console, len(cases), "mapping samples") as advance:
        for case in cases:
            result, error = _run(case, mappings)
            _show_case(console, result, error=error)
            advance()
            if error is not None:
                broken += 1
            elif not result.passed:
                failed += 1
                if update and write_expected(result):
                    updated += 1
    passed = len(cases) - failed - broken
    could_not_run = f" ({broken} could not run)" if broken else ""
    if update:
        console.print(f"updated {updated} file(s)")
        console.print(f"{passed} passed, {updated} updated, {broken} failed{could_not_run}")
    else:
        console.print(f"{passed} passed, {failed + broken} failed{could_not_run}")
    return 0 if broken == 0 and (failed == 0 or update) else 1


def mappings_check(folder: Path, samples: Path | None) -> int:
    from rich.text import Text  # noqa: PLC0415

    from gateway.toolkit.golden import discover  # noqa: PLC0415
    from gateway.toolkit.mapping_checks import check_maps, unmapped_codes  # noqa: PLC0415

    console = _console()
    report = check_maps(folder)
    for finding in report.findings:
        style = "bold red" if finding.severity == "error" else "yellow"
        console.print(Text.assemble((finding.severity.upper(), style), " " + str(finding).partition(" ")[2]))
    console.print(f"{len(report.maps)} ConceptMap(s) in {folder}: {len(report.errors)} error(s), "
                  f"{len(report.warnings)} warning(s)")
    if report.errors:
        return 1
    if samples is None:
        return 0
    cases = list(discover(samples))
    with _progress(console, len(cases), "mapping samples") as advance:
        found, problems = unmapped_codes(cases, report.maps, folder, on_case=lambda _: advance())
    for problem in problems:
        console.print(Text(f"WARNING {problem}", style="yellow"))
    if not found:
        console.print(f"no unmapped local codes in the {len(cases)} sample(s) under {samples}")
    for item in found:
        console.print(Text.assemble(("UNMAPPED", "yellow"), f" {item}"))
    if found:
        console.print(f"{len(found)} unmapped local code(s) in the samples (kept as local codes only)")
    return 0


def register(app: typer.Typer) -> None:
    @app.command("test-mappings")
    def test_mappings_command(
        folder: Annotated[Path | None, typer.Argument(exists=True, file_okay=False,
                                                      help="folder of golden cases (default: the repo's samples/)")]
        = None,
        update: Annotated[bool, typer.Option("--update", help="rewrite the expected files that differ "
                                             "(the differences are printed first)")] = False,
        mappings: MappingsOption = None,
    ) -> None:
        """Map every golden case under FOLDER and compare with its expected FHIR. Exit 1 on any difference."""
        raise typer.Exit(test_mappings(folder or _default_dir("samples"), update=update, mappings=mappings))

    group = typer.Typer(help="Check the ConceptMaps in mappings/.", no_args_is_help=True)

    @group.command("check")
    def check_command(
        mappings: MappingsOption = None,
        samples: Annotated[Path | None, typer.Option("--samples", exists=True, file_okay=False,
                                                     help="golden cases to look for unmapped codes in "
                                                          "(default: the repo's samples/, when present)")] = None,
        no_samples: Annotated[bool, typer.Option("--no-samples", help="skip the unmapped-code listing")] = False,
    ) -> None:
        """Validate every ConceptMap and list local codes in the samples that no map covers.

        Exit 1 when a map is invalid; unmapped codes and warnings are reported, not fatal."""
        from gateway.primitives.errors import ConfigurationError  # noqa: PLC0415
        from gateway.primitives.resources import data_dir, mappings_dir  # noqa: PLC0415

        if not no_samples and samples is None:
            try:
                samples = data_dir("samples")
            except ConfigurationError:
                samples = None
        raise typer.Exit(mappings_check(mappings or mappings_dir(), None if no_samples else samples))

    app.add_typer(group, name="mappings")
