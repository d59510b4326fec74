"""The suite on every installed Python, both backends: ``nox`` (or ``nox -s tests-3.12``).

Each session installs laaos with its extension required (a failed compile fails the
session) and runs the whole suite, whose ``backend`` fixture runs every behaviour test on
the Cython and the pure-Python backend; ``pure`` runs it again where the extension is
never imported (``LAAOS_NO_EXTENSIONS=1``).  With pyenv, make the interpreters visible
first: ``PYENV_VERSION=3.11.7:3.9.18:3.10.13:3.12.1:3.13.0 nox``.
"""

import nox

PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
nox.options.sessions = ["tests", "pure"]
nox.options.error_on_missing_interpreters = True

# The crash loop is long; one full run is in .ci/run, so here it is shorter.
QUICK = {"LAAOS_KILLS": "100", "LAAOS_FUZZ_EXAMPLES": "1000"}


@nox.session(python=PYTHONS)
def tests(session):
    session.install(".[test]", env={"LAAOS_REQUIRE_EXTENSIONS": "1"})
    # -I: the installed laaos, not the source folder of the same name
    session.run("python", "-I", "-c", "import laaos; assert laaos.BACKEND == 'cython', laaos.BACKEND")
    session.run("pytest", "-p", "no:cacheprovider", *session.posargs,
                env={"LAAOS_REQUIRE_EXTENSIONS": "1", **QUICK})


@nox.session(python=PYTHONS)
def pure(session):
    session.install(".[test]", env={"LAAOS_NO_EXTENSIONS": "1"})
    session.run("python", "-I", "-c", "import laaos; assert laaos.BACKEND == 'python', laaos.BACKEND",
                env={"LAAOS_NO_EXTENSIONS": "1"})
    session.run("pytest", "-p", "no:cacheprovider", "-m", "not slow", *session.posargs,
                env={"LAAOS_NO_EXTENSIONS": "1", **QUICK})
