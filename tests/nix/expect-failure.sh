# The builder nixpkgs' testers.testBuildFailure substitutes, reduced to what
# `lib.check` meets: bash runs this file with the original derivation's
# `realBuilder or stdenv.shell` and then its `args`. It runs that command,
# keeps its log, and succeeds only if the command failed.
#
# Runs with no PATH (a plain builtins.derivation), so the two tools it needs
# are named by their Debian paths; the tests build it with the sandbox off.
set -eu
log="$TMPDIR/testBuildFailure.log"
r=0
"$@" >"$log" 2>&1 || r=$?
if [ "$r" = 0 ]; then
  echo "testBuildFailure: the builder did not fail, but a failure was expected"
  exit 1
fi
/bin/mkdir -p "$out"
/bin/mv "$log" "$out/testBuildFailure.log"
echo "$r" >"$out/testBuildFailure.exit"
