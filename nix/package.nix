# dns-static-records as a Python application: dns-static-check and
# dns-static-agent. Version from pyproject.toml; only the files the build
# and its tests need are in the source.
{
  lib,
  python3Packages,
}:
let
  pyproject = builtins.fromTOML (builtins.readFile ../pyproject.toml);
  # "checker" -> [ "checker" "checker.rules" ... ]: every directory below
  # ../<name> that holds an __init__.py, as a dotted module name.
  packagesUnder =
    name:
    let
      walk =
        dir: prefix:
        let
          entries = builtins.readDir dir;
          subdirs = builtins.filter (e: entries.${e} == "directory") (builtins.attrNames entries);
        in
        if entries ? "__init__.py" then
          [ prefix ] ++ builtins.concatMap (d: walk (dir + "/${d}") "${prefix}.${d}") subdirs
        else
          [ ];
    in
    walk (../. + "/${name}") name;
in
python3Packages.buildPythonApplication {
  pname = pyproject.project.name;
  inherit (pyproject.project) version;
  pyproject = true;

  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../pyproject.toml
      ../README.md
      ../checker
      ../agent
      ../tests
      # files the tests read (tests/nix/test_package.py keeps this list whole)
      ../alerts
      ../docs
      ../examples
      ../flake.nix
      ../nix
      ../nixos-tests
    ];
  };

  build-system = [ python3Packages.setuptools ];
  dependencies = [ python3Packages.dnspython ];

  nativeCheckInputs = [
    python3Packages.pytestCheckHook
    python3Packages.hypothesis
  ];
  # Tests that need a real knotd, nix, kea or the network (the wheel test)
  # run in `make test` and the VM test, not in the sandboxed build. The hook
  # builds `-m "not knot and not nix ..."` itself; a flag with spaces in
  # pytestFlagsArray would be split into words again.
  disabledTestMarks = [
    "knot"
    "nix"
    "kea"
    "wheel"
  ];
  # Every package and subpackage (a wheel without checker.rules installs,
  # then fails on first use), and the two console scripts' modules.
  pythonImportsCheck = packagesUnder "checker" ++ packagesUnder "agent" ++ [
    "checker.cli"
    "agent.cli"
  ];

  meta = {
    description = pyproject.project.description;
    license = lib.licenses.mit;
    mainProgram = "dns-static-agent";
    platforms = lib.platforms.linux;
  };
}
