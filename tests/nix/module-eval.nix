# Evaluate nix/module.nix with nixpkgs' lib alone: the few NixOS options the
# module sets are stubbed, pkgs is a fake. Used by test_module.py.
{
  nixpkgsLib, # path of nixpkgs' lib directory
  dnsNix ? null, # dns.nix source tree, or null for the untyped zones
  configuration, # the module under test's settings (a module)
  python ? "/usr/bin/python3",
}:
let
  lib = import nixpkgsLib;
  inherit (lib) mkOption types;
  listOfStr = mkOption {
    type = types.listOf types.str;
    default = [ ];
  };
  unitOptions = {
    description = mkOption {
      type = types.str;
      default = "";
    };
    wants = listOfStr;
    after = listOfStr;
    requires = listOfStr;
    wantedBy = listOfStr;
    restartTriggers = mkOption {
      type = types.listOf types.unspecified;
      default = [ ];
    };
    serviceConfig = mkOption {
      type = types.attrsOf types.unspecified;
      default = { };
    };
    timerConfig = mkOption {
      type = types.attrsOf types.unspecified;
      default = { };
    };
  };
  stubs =
    { ... }:
    {
      options = {
        assertions = mkOption {
          type = types.listOf types.unspecified;
          default = [ ];
        };
        warnings = listOfStr;
        environment.systemPackages = mkOption {
          type = types.listOf types.unspecified;
          default = [ ];
        };
        users.groups = mkOption {
          type = types.attrsOf types.attrs;
          default = { };
        };
        systemd.services = mkOption {
          type = types.attrsOf (types.submodule { options = unitOptions; });
          default = { };
        };
        systemd.timers = mkOption {
          type = types.attrsOf (types.submodule { options = unitOptions; });
          default = { };
        };
        systemd.tmpfiles.rules = listOfStr;
        networking.hostName = mkOption {
          type = types.str;
          default = "routy";
        };
        services.knot.enable = mkOption {
          type = types.bool;
          default = false;
        };
        services.prometheus.ruleFiles = mkOption {
          type = types.listOf types.path;
          default = [ ];
        };
      };
      config._module.args.pkgs = {
        buildPackages.python3 = builtins.dirOf (builtins.dirOf python);
        stdenv.buildPlatform.system = builtins.currentSystem;
        callPackage = _: _: throw "test: set services.dnsStaticRecords.package";
      };
    };
  fakePackage = {
    type = "derivation";
    name = "dns-static-records-test";
    outPath = "/fake/dns-static-records";
  };
  eval = lib.evalModules {
    modules = [
      stubs
      (import ../../nix/module.nix { dns = dnsNix; })
      { services.dnsStaticRecords.package = lib.mkDefault fakePackage; }
      configuration
    ];
  };
  inherit (eval) config;
in
{
  inherit eval config;
  # what test_module.py looks at, JSON-ready
  result = {
    failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) config.assertions);
    inherit (config) warnings;
    services = config.systemd.services;
    timers = config.systemd.timers;
    tmpfiles = config.systemd.tmpfiles.rules;
    groups = builtins.attrNames config.users.groups;
    ruleFiles = map toString config.services.prometheus.ruleFiles;
    checkedDocument =
      if config.services.dnsStaticRecords.enable then
        config.services.dnsStaticRecords.checkedDocument.drvPath
      else
        null;
  };
}
