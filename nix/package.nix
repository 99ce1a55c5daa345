# dns-static-records as a Python application: dns-static-check and
# dns-static-agent. Version from pyproject.toml; only the files the build
# and its tests need are in the source.
{
  lib,
  python3Packages,
}:
let
  pyproject = builtins.fromTOML (builtins.readFile ../pyproject.toml);
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
      ../alerts
    ];
  };

  build-system = [ python3Packages.setuptools ];
  dependencies = [ python3Packages.dnspython ];

  nativeCheckInputs = [
    python3Packages.pytestCheckHook
    python3Packages.hypothesis
  ];
  # Tests that need a real knotd, nix or kea run in `make test` and the VM
  # test, not in the sandboxed build.
  pytestFlagsArray = [
    "-m"
    "not knot and not nix and not kea"
  ];
  pythonImportsCheck = [
    "checker"
    "agent"
  ];

  meta = {
    description = pyproject.project.description;
    license = lib.licenses.mit;
    mainProgram = "dns-static-agent";
    platforms = lib.platforms.linux;
  };
}
