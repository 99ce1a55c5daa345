# A stand-in for a nixpkgs package set, for evaluating the flake's outputs and
# the VM test without nixpkgs: packages are bare derivation-shaped attrsets,
# builders return their arguments. Deprecated aliases throw, as an alias that
# warns on every use should never be reached.
{ nixpkgsLib }:
let
  lib = import nixpkgsLib;
  pkg = name: {
    type = "derivation";
    inherit name;
    outPath = "/fake/${name}";
  };
in
{
  inherit lib;
  ruff = pkg "ruff";
  knot-dns = pkg "knot-dns";
  kea = pkg "kea";
  curl = pkg "curl";
  nixfmt = pkg "nixfmt";
  nixfmt-tree = pkg "nixfmt-tree";
  nixfmt-rfc-style = throw "nixfmt-rfc-style is a deprecated alias of nixfmt";
  python3.withPackages = _: pkg "python3-env";
  mkShell = args: args;
  writeText = name: _: pkg name;
  testers.runNixOSTest = test: test;
}
