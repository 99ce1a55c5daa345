# Stand-in nixosConfigurations of several hosts, each evaluated with the
# module through module-eval.nix (nixpkgs' lib and stubs). `hosts` gets the
# finished nixosConfigurations and the flake's lib, as a flake's outputs get
# `self`, so the publishing host can collect from the set it belongs to.
# Used by test_contributions.py.
{
  nixpkgsLib,
  dnsNix ? null,
  python ? "/usr/bin/python3",
  hosts, # { nixosConfigurations, lib } -> { <name> = <module>; }
}:
let
  flakeLib = import ../../nix/lib.nix;
  evaluated = builtins.mapAttrs (
    name: configuration:
    import ./module-eval.nix {
      inherit nixpkgsLib dnsNix python;
      configuration = {
        imports = [ configuration ];
        networking.hostName = name;
      };
    }
  ) (hosts {
    inherit nixosConfigurations;
    lib = flakeLib;
  });
  # what a flake's nixosConfigurations holds: hosts with a `config`
  nixosConfigurations = builtins.mapAttrs (_: e: { inherit (e) config; }) evaluated;
in
{
  inherit nixosConfigurations;
  result = builtins.mapAttrs (_: e: e.result) evaluated;
  published = builtins.mapAttrs (
    _: e:
    let
      unit = e.config.systemd.services.dns-static-publish or null;
    in
    if unit == null then null else unit.serviceConfig.ExecStart
  ) evaluated;
}
